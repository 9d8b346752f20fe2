package io.sluice.accept;

/**
 * Fired on every client connection when the proxy stops: an idle HTTP/1.1 connection closes, a busy one
 * closes after its response, a parked one closes, an HTTP/2 connection sends GOAWAY once its streams are done.
 */
public enum DrainEvent {
    INSTANCE
}
