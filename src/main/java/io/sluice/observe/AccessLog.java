package io.sluice.observe;

import io.sluice.config.AccessLogConfig;
import io.sluice.exchange.Exchange;
import io.sluice.metrics.ObservedMetrics;
import java.io.BufferedWriter;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: event loops format a line and {@link ArrayBlockingQueue#offer offer} it to a bounded
 * queue; one writer thread drains the queue to stdout or a file. A full queue (the disk or the pipe is
 * slower than the traffic) drops the line and counts it in {@code sluice_access_log_dropped_total}: a
 * request never waits for the log. Memory is bounded by {@code queue_size} lines.
 */
public final class AccessLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
    /** How long the writer sleeps when it finds the queue empty. */
    static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final AccessLogFormat format;
    private final ArrayBlockingQueue<String> queue;
    /** Encodes in bulk from its char buffer: no byte[] per line. Writer thread only. */
    private Writer out;
    /** The file written to, or null for stdout. */
    private final java.nio.file.Path file;
    /** Set by {@link #reopen}, taken by the writer thread between two batches. */
    private volatile boolean reopenAsked;
    private final ObservedMetrics metrics;
    private final Thread writer;
    private volatile boolean closed;

    /** Opens the configured destination (a file is appended to) and starts the writer thread. */
    public static AccessLog open(AccessLogConfig config, ObservedMetrics metrics) throws IOException {
        OutputStream out;
        if (config.file() == null) {
            out = new FilterOutputStream(System.out) {
                @Override
                public void close() throws IOException {
                    flush(); // stdout stays open
                }
            };
        } else {
            if (config.file().getParent() != null) {
                Files.createDirectories(config.file().getParent());
            }
            out = new FileOutputStream(config.file().toFile(), true);
        }
        return new AccessLog(new AccessLogFormat(config.format(), config.fields()), out, config.queueSize(), metrics,
                config.file());
    }

    public AccessLog(AccessLogFormat format, OutputStream out, int queueSize, ObservedMetrics metrics) {
        this(format, out, queueSize, metrics, null);
    }

    private AccessLog(AccessLogFormat format, OutputStream out, int queueSize, ObservedMetrics metrics,
                      java.nio.file.Path file) {
        this.format = format;
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.out = writer(out);
        this.file = file;
        this.metrics = metrics;
        this.writer = new Thread(this::drain, "sluice-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    private static Writer writer(OutputStream out) {
        return new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 64 * 1024);
    }

    /**
     * Asks the writer thread to close the file and open it again by name (a new file when logrotate moved
     * the old one away). Returns at once; the writer does it before its next batch (within
     * {@link #IDLE_PARK_NANOS}). Nothing to do for stdout.
     */
    public void reopen() {
        if (file != null) {
            reopenAsked = true;
        }
    }

    /** Writer thread: flushes and closes the current file, opens it again; on failure keeps the old one. */
    private void reopenNow() {
        reopenAsked = false;
        Writer next;
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            next = writer(new FileOutputStream(file.toFile(), true));
        } catch (IOException e) {
            log.warn("access log: cannot reopen {}, writing on to the file already open: {}", file, e.toString());
            return;
        }
        try {
            out.close();
        } catch (IOException e) {
            log.warn("access log: closing the previous file failed: {}", e.toString());
        }
        out = next;
        log.info("access log: reopened {}", file);
    }

    /** On the event loop that finished {@code ex}: formats its line and queues it, or drops it. Never blocks. */
    public void log(Exchange ex, AccessLogFormat.Line line) {
        if (closed) {
            return;
        }
        boolean queued = queue.offer(format.format(ex, line));
        metrics.accessLogLine(queued);
    }

    /**
     * The writer thread. It does not wait on the queue's condition: a waiting consumer makes every
     * offer signal it, a futex wake-up and a context switch per line. It sleeps {@link #IDLE_PARK_NANOS}
     * whenever the queue is empty instead, so the event loops' offers find no waiter and only take the
     * queue's lock, and lines are written in batches (at most that much later).
     */
    private void drain() {
        ArrayList<String> batch = new ArrayList<>(1024);
        try {
            while (true) {
                if (reopenAsked) {
                    reopenNow();
                }
                queue.drainTo(batch, 1024);
                if (batch.isEmpty()) {
                    if (closed) {
                        break;
                    }
                    LockSupport.parkNanos(IDLE_PARK_NANOS);
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                    continue;
                }
                try {
                    for (String line : batch) {
                        out.write(line);
                        out.write('\n');
                    }
                    if (queue.isEmpty()) {
                        out.flush();
                    }
                } catch (IOException e) {
                    writeFailed(batch.size(), e);
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                out.close();
            } catch (IOException e) {
                log.warn("access log: close failed: {}", e.toString());
            }
        }
    }

    /** Lines lost since the last warning, and when it was given: a full disk fails every batch. */
    private long lostSinceWarning;
    private long lastWarningNanos;

    /**
     * Counts a failed batch in {@code sluice_access_log_lost_total} and warns at most once a minute (the process
     * log is often on the same full disk; a warning per batch would be up to a hundred a second).
     */
    private void writeFailed(int lines, IOException e) {
        metrics.accessLogLost(lines);
        lostSinceWarning += lines;
        long now = System.nanoTime();
        if (lastWarningNanos == 0 || now - lastWarningNanos >= java.util.concurrent.TimeUnit.MINUTES.toNanos(1)) {
            log.warn("access log: writing failed, {} line(s) lost since the last warning (sluice_access_log_lost_total"
                    + " counts them): {}", lostSinceWarning, e.toString());
            lostSinceWarning = 0;
            lastWarningNanos = now | 1; // never 0 once set
        }
    }

    /** Lines waiting for the writer. */
    public int queued() {
        return queue.size();
    }

    /**
     * Stops taking lines; the writer writes what is queued and closes the destination. Waits up to
     * {@code 2 s} for it (a stuck disk must not stop a shutdown).
     */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
