package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** discovery.zookeeper against a real ZooKeeper (Curator's TestingServer): endpoints follow the node's children. */
class DiscoveryTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes: [ { upstream: api } ]
            upstreams:
              api:
                discovery: { zookeeper: { connect: "${ZK}", path: /services/api } }
            admin: { address: 127.0.0.1:0 }
            """;

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    /** Which upstreams answered ten requests. */
    private static Set<String> answering(SluiceUnderTest sluice) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(sluice.uri("main", "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            seen.add(r.statusCode() == 200 ? r.body().strip() : Integer.toString(r.statusCode()));
        }
        return seen;
    }

    private static JsonNode upstream(SluiceUnderTest sluice) throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(sluice.adminUri("/api/upstreams")).build(),
                HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(r.body()).get("upstreams").get(0);
    }

    @Test
    void endpointsFollowTheChildrenAndStayWhileZooKeeperIsAway() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             TestUpstream c = TestUpstream.start("c");
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
            client.start();
            client.create().creatingParentsIfNeeded().forPath("/services/api/" + a.address());
            Map<String, String> env = new HashMap<>(Map.of("ZK", zk.getConnectString()));
            try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env)) {
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> answering(sluice).equals(Set.of("a")));

                client.create().forPath("/services/api/" + b.address() + ",2"); // host:port,weight
                client.create().forPath("/services/api/instance-1", ("{\"name\":\"api\",\"address\":\"127.0.0.1\","
                        + "\"port\":" + c.port() + "}").getBytes(StandardCharsets.UTF_8)); // a Curator service instance
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        answering(sluice).containsAll(Set.of("a", "b", "c")));
                JsonNode api = upstream(sluice);
                assertThat(api.get("endpoints")).hasSize(3);
                assertThat(api.get("discovery").get("connected").asBoolean()).isTrue();
                assertThat(api.get("discovery").get("path").asText()).isEqualTo("/services/api");

                client.delete().forPath("/services/api/" + a.address());
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !answering(sluice).contains("a"));

                zk.stop(); // the last known endpoints stay, and /api/upstreams says ZooKeeper is away
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                        !upstream(sluice).get("discovery").get("connected").asBoolean());
                assertThat(answering(sluice)).containsOnly("b", "c");

                zk.restart();
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                        upstream(sluice).get("discovery").get("connected").asBoolean());
                client.delete().forPath("/services/api/instance-1");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> answering(sluice).equals(Set.of("b")));
            }
        }
    }

    private static CuratorFramework zkClient(TestingServer zk) {
        CuratorFramework client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
        client.start();
        return client;
    }

    @Test
    void aChildThatNamesNoUsableEndpointIsLeftOutAndTheOthersApply() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             CuratorFramework client = zkClient(zk)) {
            client.create().creatingParentsIfNeeded().forPath("/services/api/" + a.address());
            try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("ZK", zk.getConnectString()))) {
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> answering(sluice).equals(Set.of("a")));
                client.create().forPath("/services/api/instance-bad",
                        "{\"address\":\"bad host\",\"port\":80}".getBytes(StandardCharsets.UTF_8));
                client.create().forPath("/services/api/[fe80::1%nosuchinterface]:80");
                client.create().forPath("/services/api/" + b.address());
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        answering(sluice).equals(Set.of("a", "b")));
                assertThat(upstream(sluice).get("endpoints")).hasSize(2);
            }
        }
    }

    @Test
    void aRefusedReloadLeavesDiscoveryFollowingTheRunningFile() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             TestUpstream c = TestUpstream.start("c");
             CuratorFramework client = zkClient(zk)) {
            client.create().creatingParentsIfNeeded().forPath("/services/api/" + a.address());
            try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("ZK", zk.getConnectString()))) {
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> answering(sluice).equals(Set.of("a")));
                java.net.ServerSocket busy = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                String refused = YAML.replace("upstreams:", """
                          - name: extra
                            address: 127.0.0.1:${BUSY}
                            routes: [ { upstream: api } ]
                        upstreams:""");
                try (busy) {
                    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> sluice.reload(refused,
                            Map.of("ZK", zk.getConnectString(), "BUSY", Integer.toString(busy.getLocalPort())))))
                            .isNotNull().isNotInstanceOf(io.sluice.config.ConfigException.class); // refused by the bind
                    client.create().forPath("/services/api/" + b.address()); // applied with the running file
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                            answering(sluice).equals(Set.of("a", "b")));
                }
                client.create().forPath("/services/api/" + c.address()); // the port is free now
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        answering(sluice).equals(Set.of("a", "b", "c")));
                assertThat(sluice.sluice().listenerAddress("extra")).as("the refused file's listener").isNull();
            }
        }
    }

    @Test
    void aReloadThatChangesTheConnectStringKeepsTheLastEndpointsWhileZooKeeperIsAway() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             TestUpstream a = TestUpstream.start("a");
             CuratorFramework client = zkClient(zk)) {
            client.create().creatingParentsIfNeeded().forPath("/services/api/" + a.address());
            try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("ZK", zk.getConnectString()))) {
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> answering(sluice).equals(Set.of("a")));
                zk.stop();
                sluice.reload(YAML, Map.of("ZK", "localhost:" + zk.getPort())); // the same server, spelled otherwise
                assertThat(answering(sluice)).containsOnly("a");
                assertThat(upstream(sluice).get("endpoints")).hasSize(1);
                zk.restart();
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                        upstream(sluice).get("discovery").get("connected").asBoolean());
                assertThat(answering(sluice)).containsOnly("a");
            }
        }
    }

    @Test
    void zooKeeperAwayAtStartIsLoggedAndShown() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Logger discoveryLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                io.sluice.upstream.discovery.ZooKeeperDiscovery.class);
        logged.start();
        discoveryLog.addAppender(logged);
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort(); // nothing listens there once closed
        }
        try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("ZK", "127.0.0.1:" + closedPort))) {
            assertThat(upstream(sluice).get("discovery").get("connected").asBoolean()).isFalse();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> logged.list.stream().anyMatch(e ->
                    e.getFormattedMessage().contains("ZooKeeper 127.0.0.1:" + closedPort + " cannot be reached")));
        } finally {
            discoveryLog.detachAppender(logged);
        }
    }

    @Test
    void aDiscoveryChangeLeavesTheOtherUpstreamsAsTheyAre() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             TestUpstream w = TestUpstream.start("w");
             CuratorFramework client = zkClient(zk)) {
            client.create().creatingParentsIfNeeded().forPath("/services/api/" + a.address());
            String yaml = YAML.replace("upstreams:\n", "upstreams:\n  web: { endpoints: [ { address: \"${W}\" } ] }\n");
            try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml,
                    Map.of("ZK", zk.getConnectString(), "W", w.address()))) {
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> answering(sluice).equals(Set.of("a")));
                HttpResponse<String> set = CLIENT.send(HttpRequest.newBuilder(sluice.adminUri(
                        "/api/upstreams/web/endpoints/" + w.address() + "/weight?weight=7"))
                        .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(set.statusCode()).isEqualTo(200);
                client.create().forPath("/services/api/" + b.address());
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        answering(sluice).equals(Set.of("a", "b")));
                JsonNode web = null;
                HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(sluice.adminUri("/api/upstreams")).build(),
                        HttpResponse.BodyHandlers.ofString());
                for (JsonNode u : new ObjectMapper().readTree(r.body()).get("upstreams")) {
                    if (u.get("name").asText().equals("web")) {
                        web = u;
                    }
                }
                assertThat(web).isNotNull();
                assertThat(web.get("endpoints").get(0).get("weight").asInt()).as("the weight set through the admin API")
                        .isEqualTo(7);
            }
        }
    }
}
