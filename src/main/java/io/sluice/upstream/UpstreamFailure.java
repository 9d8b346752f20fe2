package io.sluice.upstream;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Why an attempt on an endpoint failed, the retry condition it matches, the status the client gets, and the
 * access log's {@code upstream_error} for it.
 */
public enum UpstreamFailure {
    CONNECT_FAILURE("connect_failure", HttpResponseStatus.BAD_GATEWAY, "connection to the upstream failed",
            "connect_failed"),
    RESET("reset", HttpResponseStatus.BAD_GATEWAY, "the upstream closed the connection", "reset"),
    MALFORMED("malformed", HttpResponseStatus.BAD_GATEWAY, "the upstream sent a malformed response",
            "protocol_error"),
    TIMEOUT("timeout", HttpResponseStatus.GATEWAY_TIMEOUT, "the upstream did not answer in time", "timeout");

    /** {@code upstream_error} when no endpoint is in service (503). */
    public static final String NO_ENDPOINT = "no_endpoint";
    /** {@code upstream_error} when the circuit breaker refused the request (503). */
    public static final String CIRCUIT_OPEN = "circuit_open";

    private final String retryCondition;
    private final HttpResponseStatus status;
    private final String detail;
    private final String logToken;

    UpstreamFailure(String retryCondition, HttpResponseStatus status, String detail, String logToken) {
        this.retryCondition = retryCondition;
        this.status = status;
        this.detail = detail;
        this.logToken = logToken;
    }

    /** The access log's {@code upstream_error} for this failure. */
    public String logToken() {
        return logToken;
    }

    /** The word in {@code retry.on} that covers this failure (502 also covers refused, reset and malformed). */
    public String retryCondition() {
        return retryCondition;
    }

    public HttpResponseStatus status() {
        return status;
    }

    public String detail() {
        return detail;
    }
}
