package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** h2c on an http listener: by prior knowledge and by Upgrade, with curl and the JDK's HttpClient. */
class Http2CleartextTest {
    static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - { match: { path_prefix: /local }, respond: { status: 200, body: "local\\n" } }
                  - { upstream: app }
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            """;

    @Test
    void jdkClientUpgradesToH2c() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
            for (String path : List.of("/x?q=1", "/local", "/y")) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(sluice.uri("main", path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(r.body()).isEqualTo(path.equals("/local") ? "local\n" : "a\n");
            }
            assertThat(up.next().uri()).isEqualTo("/x?q=1");
        }
    }

    @Test
    void curlPriorKnowledgeAndUpgrade() throws Exception {
        Tools.assumeInstalled("curl");
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            String url = sluice.uri("main", "/p?x=1").toString();
            // one URL per run: curl 7.88 fails reusing a prior-knowledge connection (curl/curl#10634)
            Tools.Result prior = Tools.run("curl", "-sS", "--max-time", "10", "--http2-prior-knowledge",
                    "-w", "\\n%{http_version}", url);
            assertThat(prior.out()).as(prior.err()).isEqualTo("a\n\n2");
            Tools.Result upgrade = Tools.run("curl", "-sS", "--max-time", "10", "--http2", "-d", "hello", "-w", "\\n%{http_version}",
                    url);
            // a request with a body is not upgraded (the proxy would have to hold it): it stays on HTTP/1.1
            assertThat(upgrade.out()).isEqualTo("a\n\n1.1");
            Tools.Result get = Tools.run("curl", "-sS", "--max-time", "10", "--http2", "-w", "\\n%{http_version}", url);
            assertThat(get.out()).isEqualTo("a\n\n2");
        }
    }

    @Test
    void largeResponsesOnConcurrentStreamsAllArriveWholeThroughSmallWindows() throws Exception {
        Tools.assumeInstalled("h2load");
        byte[] body = new byte[300 * 1024];
        java.util.Arrays.fill(body, (byte) 'x');
        try (TestUpstream up = TestUpstream.start("big", exchange -> {
                exchange.sendResponseHeaders(200, body.length);
                try (var out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            // 64 KiB windows for each stream and for the connection: the proxy's share-out of the connection
            // window among ten streams that all have more to send is what is exercised
            Tools.Result r = Tools.run("h2load", "-n", "30", "-c", "1", "-m", "10", "-w", "16", "-W", "16",
                    sluice.uri("main", "/big").toString());
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out()).as(r.out()).contains("30 succeeded, 0 failed, 0 errored, 0 timeout");
            java.util.regex.Matcher data = java.util.regex.Pattern.compile("\\((\\d+)\\) data").matcher(r.out());
            assertThat(data.find()).as(r.out()).isTrue();
            assertThat(Long.parseLong(data.group(1))).isEqualTo(30L * body.length);
        }
    }

    @Test
    void nghttpManyStreamsOnOneConnection() throws Exception {
        Tools.assumeInstalled("nghttp");
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            List<String> args = new ArrayList<>(List.of("nghttp", "-n", "-s", "-t", "10"));
            for (int i = 0; i < 20; i++) {
                args.add(sluice.uri("main", "/n" + i).toString());
            }
            Tools.Result r = Tools.run(args.toArray(String[]::new));
            assertThat(r.exit()).isZero();
            assertThat(r.out()).contains("/n19");
            assertThat(up.receivedCount()).isEqualTo(20);
        }
    }
}
