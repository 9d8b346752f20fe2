package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.it.SluiceUnderTest;
import io.sluice.it.TestUpstream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** {@code GET /api/events} against a viewer that stops reading. */
class EventStreamTest {

    @Test
    void aViewerThatStopsReadingIsClosed() throws Exception {
        // 5 ms ticks and 20 in a row instead of 1 s and 30: the same rule, without waiting half a minute
        EventStream.periodMillis = 5;
        EventStream.unwritableTicksToClose = 20;
        StringBuilder endpoints = new StringBuilder();
        for (int i = 0; i < 50; i++) { // a bigger document fills the buffers sooner
            endpoints.append(i == 0 ? "" : ", ").append("{ address: \"127.0.0.1:").append(20000 + i).append("\" }");
        }
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger streamLog = (Logger) LoggerFactory.getLogger(EventStream.class);
        logged.start();
        streamLog.addAppender(logged);
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes: [ { upstream: api } ]
                     upstreams:
                       api:
                         endpoints: [ %s ]
                     admin: { address: 127.0.0.1:0 }
                     """.formatted(endpoints), Map.of());
             Socket viewer = new Socket()) {
            int port = sluice.adminUri("/").getPort();
            viewer.setReceiveBufferSize(1024);
            viewer.connect(new InetSocketAddress("127.0.0.1", port));
            viewer.getOutputStream().write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            // the viewer reads nothing until the server has given up on it
            await().atMost(Duration.ofSeconds(60)).until(() -> logged.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().contains("closing the event stream")));
            viewer.setSoTimeout(60_000);
            InputStream in = viewer.getInputStream();
            byte[] all = in.readAllBytes(); // ends at the server's FIN, after what was already sent
            assertThat(new String(all, 0, 15, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200 OK");
        } finally {
            streamLog.detachAppender(logged);
            EventStream.periodMillis = EventStream.PERIOD_MILLIS;
            EventStream.unwritableTicksToClose = EventStream.UNWRITABLE_TICKS_TO_CLOSE;
        }
    }
}
