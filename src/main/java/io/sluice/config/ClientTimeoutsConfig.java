package io.sluice.config;

import java.time.Duration;

/**
 * {@code server.client_timeouts}: how long a client connection may keep the proxy waiting. Each is the
 * counterpart of an nginx directive (and of an HAProxy timeout):
 * <ul>
 *   <li>{@code idle}: between requests on a keep-alive connection, until the next request's first byte
 *       (keepalive_timeout; timeout http-keep-alive). Also an HTTP/2 connection with no open stream.</li>
 *   <li>{@code request_head}: for the whole request head, from its first byte, or from the accept for a
 *       connection's first request (client_header_timeout; timeout http-request).</li>
 *   <li>{@code request_body}: between two reads of a request body (client_body_timeout).</li>
 *   <li>{@code send}: a client that takes none of a response the proxy has ready for it (send_timeout).</li>
 * </ul>
 */
public record ClientTimeoutsConfig(Duration idle, Duration requestHead, Duration requestBody, Duration send) {
    public static final ClientTimeoutsConfig DEFAULTS = new ClientTimeoutsConfig(
            Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(60));
}
