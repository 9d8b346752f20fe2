package io.sluice.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

        boolean reusable = HopByHopHeaders.stripResponse(headers, false, true);

        assertThat(fields(headers)).containsExactly("Content-Type: text/plain", "X-Kept: yes");
        assertThat(reusable).as("a second Connection field says close").isFalse();
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

    /** Whether the upstream connection is kept: the strip's answer is the one Netty's HttpUtil.isKeepAlive gives. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
        "HTTP/1.1 | none",
        "HTTP/1.1 | keep-alive",
        "HTTP/1.1 | close",
        "HTTP/1.1 | Close",
        "HTTP/1.1 | 'x-hop ,  CLOSE'",
        "HTTP/1.1 | x-hop",
        "HTTP/1.0 | none",
        "HTTP/1.0 | keep-alive",
        "HTTP/1.0 | 'X-Hop, Keep-Alive'",
        "HTTP/1.0 | 'keep-alive, close'",
        "HTTP/1.0 | x-hop",
    })
    void theStripTellsWhetherTheConnectionIsKeptAsNettyWould(String version, String connection) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.valueOf(version), HttpResponseStatus.OK);
        if (connection != null) {
            response.headers().add("Connection", connection).add("X-Hop", "1");
        }
        boolean netty = HttpUtil.isKeepAlive(response);

        boolean reusable = HopByHopHeaders.stripResponse(response.headers(), false,
                response.protocolVersion().isKeepAliveDefault());

        assertThat(reusable).isEqualTo(netty);
        assertThat(response.headers().contains("Connection")).isFalse();
    }

    private static List<String> fields(HttpHeaders headers) {
        List<String> fields = new ArrayList<>();
        for (Map.Entry<String, String> field : headers) {
            fields.add(field.getKey() + ": " + field.getValue());
        }
        return fields;
    }
}
