package io.sluice.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HopByHopHeadersTest {

    @Test
    void everyHopByHopFieldGoesInAnyCaseAndWhatConnectionNamesGoesToo() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Content-Type", "text/plain")
                .add("Connection", "keep-alive, X-Hop")
                .add("X-Hop", "1")
                .add("CONNECTION", "close")
                .add("KEEP-ALIVE", "timeout=5")
                .add("Proxy-Connection", "keep-alive")
                .add("Transfer-Encoding", "chunked")
                .add("te", "gzip")
                .add("Upgrade", "websocket")
                .add("X-Http2-Stream-Id", "3")
                .add("x-http2-scheme", "http")
                .add("X-Kept", "yes");

        HopByHopHeaders.stripResponse(headers, false);

        assertThat(fields(headers)).containsExactly("Content-Type: text/plain", "X-Kept: yes");
    }

    @Test
    void aMessageWithoutAnyIsLeftAsItWas() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Host", "example.com")
                .add("Accept", "*/*")
                .add("X-Request-ID", "abc");

        HopByHopHeaders.stripRequest(headers, false);

        assertThat(fields(headers)).containsExactly("Host: example.com", "Accept: */*", "X-Request-ID: abc");
    }

    @Test
    void connectionCannotNameAwayTheFramingOrTheProxysOwnFields() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Content-Length", "5")
                .add("X-Request-ID", "abc")
                .add("X-Forwarded-For", "192.0.2.1")
                .add("Connection", "Content-Length, x-request-id, X-Forwarded-For");

        HopByHopHeaders.stripRequest(headers, false);

        assertThat(fields(headers)).containsExactly("Content-Length: 5", "X-Request-ID: abc",
                "X-Forwarded-For: 192.0.2.1");
    }

    @Test
    void aRequestKeepsTeTrailersAndTheUpgradeItAsksFor() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("TE", "gzip, trailers")
                .add("Connection", "Upgrade")
                .add("Upgrade", "websocket");

        HopByHopHeaders.stripRequest(headers, true);

        assertThat(headers.get("TE")).isEqualTo("trailers");
        assertThat(headers.get("Upgrade")).isEqualTo("websocket");
        assertThat(headers.get("Connection")).isEqualTo("upgrade");
    }

    private static List<String> fields(HttpHeaders headers) {
        List<String> fields = new ArrayList<>();
        for (Map.Entry<String, String> field : headers) {
            fields.add(field.getKey() + ": " + field.getValue());
        }
        return fields;
    }
}
