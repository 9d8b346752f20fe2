package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.config.EndpointConfig;
import io.sluice.config.HostPort;
import io.sluice.config.UpstreamConfig;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.upstream.Upstream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static EventLoopGroup group;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final AtomicReference<Collection<Upstream>> upstreams = new AtomicReference<>(List.of());
    private AdminServer server;

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void start() throws InterruptedException {
        Upstream api = upstream("api", "127.0.0.1:9001", "127.0.0.1:9002");
        upstreams.set(List.of(api));
        metrics.bindUpstreams(upstreams::get);
        server = new AdminServer(new HostPort("127.0.0.1", 0), group, metrics, upstreams::get);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void boundToARealPort() {
        assertThat(server.localAddress().getPort()).isPositive();
        assertThat(server.localAddress().getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void healthz() throws Exception {
        HttpResponse<String> response = get("/healthz");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok\n");
        assertThat(response.headers().firstValue("content-length")).hasValue("3");
    }

    @Test
    void metricsInPrometheusTextFormat() throws Exception {
        ProxyMetrics.RequestMetrics recorder = metrics.requests("api", "127.0.0.1:9001");
        recorder.record(200, 1_000_000);
        recorder.record(200, 2_000_000);
        recorder.record(200, 40_000_000);
        metrics.requests("", "").record(404, 50_000);

        HttpResponse<String> response = get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(response.body().lines()).contains(
                "sluice_requests_total{code=\"200\",endpoint=\"127.0.0.1:9001\",upstream=\"api\"} 3.0",
                "sluice_requests_total{code=\"404\",endpoint=\"\",upstream=\"\"} 1.0",
                "sluice_request_duration_seconds_count{upstream=\"api\"} 3",
                "sluice_request_duration_seconds_bucket{upstream=\"api\",le=\"0.025\"} 2",
                "sluice_upstream_requests_in_flight{endpoint=\"127.0.0.1:9002\",upstream=\"api\"} 0.0",
                "sluice_endpoint_healthy{endpoint=\"127.0.0.1:9001\",upstream=\"api\"} 1.0");
        assertThat(response.body()).contains("# TYPE jvm_memory_used_bytes gauge");
    }

    @Test
    void metricsInOpenMetricsWhenAsked() throws Exception {
        metrics.requests("api", "127.0.0.1:9001").record(200, 1_000_000);

        HttpResponse<String> response = client.send(request("/metrics")
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElseThrow())
                .startsWith("application/openmetrics-text; version=1.0.0");
        assertThat(response.body().lines()).contains(
                "sluice_requests_total{code=\"200\",endpoint=\"127.0.0.1:9001\",upstream=\"api\"} 1.0",
                "# UNIT sluice_request_duration_seconds seconds");
        assertThat(response.body()).endsWith("# EOF\n");
    }

    @Test
    void metricsFallBackToTextWhenProtobufIsAsked() throws Exception {
        HttpResponse<String> response = client.send(request("/metrics").header("Accept",
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
                        + "text/plain;version=0.0.4;q=0.3").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElseThrow()).startsWith("text/plain; version=0.0.4");
    }

    @Test
    void upstreamsAsJson() throws Exception {
        Endpoint first = upstreams.get().iterator().next().endpoints().get(0);
        Endpoint second = upstreams.get().iterator().next().endpoints().get(1);
        for (int i = 0; i < 12; i++) {
            first.requestStarted();
        }
        for (int i = 0; i < 11; i++) {
            first.requestFinished();
        }
        second.state(EndpointState.DRAINING);

        HttpResponse<String> response = get("/api/upstreams");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode root = JSON.readTree(response.body());
        assertThat(fieldNames(root)).containsExactly("upstreams");
        JsonNode api = root.get("upstreams").get(0);
        assertThat(root.get("upstreams")).hasSize(1);
        assertThat(fieldNames(api)).containsExactly("name", "balancer", "endpoints", "panic", "circuit");
        assertThat(api.get("name").asText()).isEqualTo("api");
        assertThat(api.get("balancer").asText()).isEqualTo("round_robin");
        JsonNode e1 = api.get("endpoints").get(0);
        // The contract's fields first, in its order; then effective_weight and the last-minute fields.
        assertThat(fieldNames(e1)).startsWith("address", "weight", "state", "in_flight", "requests_total",
                "effective_weight");
        assertThat(e1.get("address").asText()).isEqualTo("127.0.0.1:9001");
        assertThat(e1.get("weight").isInt()).isTrue();
        assertThat(e1.get("weight").asInt()).isEqualTo(5);
        assertThat(e1.get("state").asText()).isEqualTo("healthy");
        assertThat(e1.get("in_flight").asInt()).isEqualTo(1);
        assertThat(e1.get("requests_total").asLong()).isEqualTo(12);
        assertThat(e1.get("effective_weight").asDouble()).isEqualTo(5.0);
        JsonNode e2 = api.get("endpoints").get(1);
        assertThat(e2.get("address").asText()).isEqualTo("127.0.0.1:9002");
        assertThat(e2.get("state").asText()).isEqualTo("draining");
        assertThat(e2.get("requests_total").asLong()).isZero();
    }

    @Test
    void upstreamsFollowAReload() throws Exception {
        upstreams.set(List.of(upstream("web", "10.0.0.1:80"), upstream("api", "127.0.0.1:9003")));

        JsonNode root = JSON.readTree(get("/api/upstreams").body());

        assertThat(root.get("upstreams")).extracting(u -> u.get("name").asText()).containsExactly("web", "api");
        assertThat(root.get("upstreams").get(1).get("endpoints").get(0).get("address").asText())
                .isEqualTo("127.0.0.1:9003");
    }

    @Test
    void statusPageIsSelfContainedHtml() throws Exception {
        HttpResponse<String> response = get("/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(response.body())
                .startsWith("<!doctype html>")
                .contains("<meta name=\"viewport\"", "new EventSource(\"/api/events\")", "/api/version")
                .doesNotContain("<script src", "<link ", "http://", "https://");
    }

    @Test
    void statusPageNamesTheUpstreamsWithoutItsScript() throws Exception {
        String html = get("/").body();
        String beforeScript = html.substring(0, html.indexOf("<script>"));
        assertThat(beforeScript).contains("<h2>api <small>round_robin</small></h2>",
                "<tr data-endpoint=\"127.0.0.1:9001\">", "<tr data-endpoint=\"127.0.0.1:9002\">",
                "class=\"state healthy\">healthy</td>");
    }

    @Test
    void unknownPathIs404() throws Exception {
        HttpResponse<String> response = get("/nope");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(get("/metrics/extra").statusCode()).isEqualTo(404);
    }

    @Test
    void queryStringIsIgnoredForRouting() throws Exception {
        assertThat(get("/healthz?verbose=1").statusCode()).isEqualTo(200);
    }

    @Test
    void otherMethodsAre405WithAllow() throws Exception {
        HttpResponse<String> response = client.send(request("/metrics")
                .POST(HttpRequest.BodyPublishers.ofString("x=1")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("allow")).hasValue("GET, HEAD");

        HttpResponse<String> delete = client.send(request("/api/upstreams").DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(delete.statusCode()).isEqualTo(405);
    }

    @Test
    void headHasTheLengthButNoBody() throws Exception {
        HttpResponse<String> response = client.send(request("/healthz")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-length")).hasValue("3");
        assertThat(response.body()).isEmpty();
        // The connection is still usable after a HEAD answer.
        assertThat(get("/healthz").body()).isEqualTo("ok\n");
    }

    @Test
    void manyRequestsOnOneClient() throws Exception {
        for (int i = 0; i < 20; i++) {
            assertThat(get(i % 2 == 0 ? "/metrics" : "/api/upstreams").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void closeStopsListening() throws Exception {
        int port = server.localAddress().getPort();
        assertThat(get("/healthz").statusCode()).isEqualTo(200);

        server.close();

        assertThatThrownBy(() -> HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void nioGroupGetsNioChannel() {
        assertThat(AdminServer.serverChannelClass(group)).isEqualTo(NioServerSocketChannel.class);
    }

    @Test
    void servesOnAnEpollGroup() throws Exception {
        assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "epoll not available here");
        EventLoopGroup epoll = new MultiThreadIoEventLoopGroup(1, io.netty.channel.epoll.EpollIoHandler.newFactory());
        try (AdminServer onEpoll = new AdminServer(new HostPort("127.0.0.1", 0), epoll, metrics, upstreams::get)) {
            assertThat(AdminServer.serverChannelClass(epoll)).isEqualTo(io.netty.channel.epoll.EpollServerSocketChannel.class);
            onEpoll.start();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + onEpoll.localAddress().getPort() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.body()).isEqualTo("ok\n");
        } finally {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(request(path).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.localAddress().getPort() + path));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Upstream upstream(String name, String... addresses) {
        List<EndpointConfig> endpoints = new ArrayList<>();
        for (String address : addresses) {
            int colon = address.lastIndexOf(':');
            endpoints.add(new EndpointConfig(address, address.substring(0, colon),
                    Integer.parseInt(address.substring(colon + 1)), false, 5));
        }
        return new Upstream(new UpstreamConfig(name, "round_robin", null, 160, 0, null, endpoints,
                null, null, null, null));
    }
}
