package io.sluice.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * What happened to the mirrored copies sent to one upstream, for {@code sluice_mirror_requests_total}.
 * Kept by the target upstream across reloads.
 */
public final class MirrorStats {
    /** Sent and answered (any status). */
    public final LongAdder answered = new LongAdder();
    /** Sent, or tried, but no whole answer: no endpoint in service, connect failure, reset, timeout. */
    public final LongAdder failed = new LongAdder();
    /** Not sent: max_in_flight copies were under way. */
    public final LongAdder droppedBusy = new LongAdder();
    /** Not sent: the body was larger than max_body. */
    public final LongAdder droppedBody = new LongAdder();
    /** Not sent: the client's request ended before its body was complete. */
    public final LongAdder cancelled = new LongAdder();
}
