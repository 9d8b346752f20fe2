package io.sluice.upstream;

import io.netty.handler.codec.http.HttpResponseStatus;

/** Why an attempt on an endpoint failed, the retry condition it matches, and the status the client gets. */
public enum UpstreamFailure {
    CONNECT_FAILURE("connect_failure", HttpResponseStatus.BAD_GATEWAY, "connection to the upstream failed"),
    RESET("reset", HttpResponseStatus.BAD_GATEWAY, "the upstream closed the connection"),
    MALFORMED("malformed", HttpResponseStatus.BAD_GATEWAY, "the upstream sent a malformed response"),
    TIMEOUT("timeout", HttpResponseStatus.GATEWAY_TIMEOUT, "the upstream did not answer in time");

    private final String retryCondition;
    private final HttpResponseStatus status;
    private final String detail;

    UpstreamFailure(String retryCondition, HttpResponseStatus status, String detail) {
        this.retryCondition = retryCondition;
        this.status = status;
        this.detail = detail;
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
