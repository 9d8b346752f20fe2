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
}
