package io.sluice.upstream;

import java.io.IOException;

/** A destination the forward proxy's rules refuse (by name or by one of the addresses it resolves to). */
public final class DestinationRefusedException extends IOException {
    public DestinationRefusedException(String message) {
        super(message, null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // an answer to a client, not a fault: no stack to record
    }
}
