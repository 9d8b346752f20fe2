package io.sluice.it;

import static io.sluice.it.ProxyProtocolTest.v1;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.balance.Endpoint;
import io.sluice.upstream.Upstream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * tcp listeners with the balancer features that make sense for connections: least_connections (long
 * database sessions), consistent_hash on source_ip (the PROXY header's client), slow_start, passive checks
 * on connect failures, and drain through the admin API.
 */
class TcpBalancingTest {
    static final String YAML = """
            listeners:
              - name: db
                address: 127.0.0.1:0
                protocol: tcp
                proxy_protocol: ${PP:-false}
                upstream: db
            upstreams:
              db:
                %s
                endpoints:
                  - { address: "${UP1}" }
                  - { address: "${UP2}" }
            admin:
              address: 127.0.0.1:0
            """;

    /** Answers every connection with its own name, then echoes. */
    static RawServer named(String name) throws Exception {
        return new RawServer((socket, i) -> {
            OutputStream out = socket.getOutputStream();
            out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.getInputStream().transferTo(out);
        });
    }

    /** Opens a connection through the listener (with {@code header} first, when not null) and reads who answered. */
    static Socket open(SluiceUnderTest sluice, String header, StringBuilder who) throws Exception {
        Socket s = new Socket("127.0.0.1", sluice.port("db"));
        s.setSoTimeout(10_000);
        if (header != null) {
            s.getOutputStream().write(v1(header));
        }
        who.setLength(0);
        who.append(ProxyProtocolTest.readLine(s.getInputStream()));
        return s;
    }

    static String via(SluiceUnderTest sluice, String header) throws Exception {
        StringBuilder who = new StringBuilder();
        try (Socket s = open(sluice, header, who)) {
            return who.toString();
        }
    }

    static Upstream upstream(SluiceUnderTest sluice) {
        return sluice.sluice().upstreams().stream().filter(u -> u.name().equals("db")).findFirst().orElseThrow();
    }

    @Test
    void leastConnectionsCountsOpenSessions() throws Exception {
        try (RawServer a = named("a"); RawServer b = named("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML.formatted("balancer: least_connections"),
                     Map.of("UP1", a.address(), "UP2", b.address()))) {
            StringBuilder who = new StringBuilder();
            Socket first = open(sluice, null, who);
            assertThat(who.toString()).isEqualTo("a");
            Socket second = open(sluice, null, who);
            assertThat(who.toString()).isEqualTo("b");
            first.close(); // a's session ends: a has none, b has one
            Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> upstream(sluice).endpoints().get(0).inFlight() == 0);
            try (Socket third = open(sluice, null, who)) {
                assertThat(who.toString()).isEqualTo("a");
                second.close(); // now a has one session (the third), b none
                Awaitility.await().atMost(Duration.ofSeconds(60))
                        .until(() -> upstream(sluice).endpoints().get(1).inFlight() == 0);
                try (Socket fourth = open(sluice, null, who)) {
                    assertThat(who.toString()).isEqualTo("b");
                }
            }
        }
    }

    @Test
    void consistentHashOnTheProxyProtocolClient() throws Exception {
        try (RawServer a = named("a"); RawServer b = named("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(
                     YAML.formatted("balancer: consistent_hash\n    hash_on: source_ip"),
                     Map.of("UP1", a.address(), "UP2", b.address(), "PP", "true"))) {
            Map<String, String> first = new HashMap<>();
            Set<String> used = new HashSet<>();
            for (int round = 0; round < 3; round++) {
                for (int client = 1; client <= 16; client++) {
                    String ip = "198.51.100." + client;
                    String who = via(sluice, "PROXY TCP4 " + ip + " 192.0.2.1 4000 5432\r\n");
                    used.add(who);
                    assertThat(first.computeIfAbsent(ip, k -> who)).as(ip).isEqualTo(who);
                }
            }
            assertThat(used).containsExactlyInAnyOrder("a", "b"); // the clients spread; each stays on its endpoint
        }
    }

    @Test
    void slowStartRampsANewEndpoint() throws Exception {
        try (RawServer a = named("a"); RawServer b = named("b")) {
            String one = YAML.formatted("balancer: weighted_round_robin\n    slow_start: 10m")
                    .replace("      - { address: \"${UP2}\" }\n", "");
            try (SluiceUnderTest sluice = SluiceUnderTest.start(one, Map.of("UP1", a.address(), "UP2", b.address()))) {
                sluice.reload(YAML.formatted("balancer: weighted_round_robin\n    slow_start: 10m"),
                        Map.of("UP1", a.address(), "UP2", b.address()));
                Map<String, Integer> counts = new HashMap<>();
                for (int i = 0; i < 20; i++) {
                    counts.merge(via(sluice, null), 1, Integer::sum);
                }
                // b came in ramping from 10% of its weight: far fewer connections than a
                assertThat(counts.getOrDefault("b", 0)).isLessThan(counts.get("a") / 2);
            }
        }
    }

    @Test
    void passiveChecksEjectAnEndpointThatRefuses() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // nothing listens here once it closes
        }
        try (RawServer b = named("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(
                     YAML.formatted("passive: { max_failures: 1, fail_timeout: 10m }"),
                     Map.of("UP1", "127.0.0.1:" + closed, "UP2", b.address()))) {
            for (int i = 0; i < 4; i++) {
                assertThat(via(sluice, null)).isEqualTo("b"); // the refused connect went on to b
            }
            Endpoint refusing = upstream(sluice).endpoints().get(0);
            assertThat(refusing.inService()).isFalse();
            assertThat(b.accepted()).isEqualTo(4);
        }
    }

    @Test
    void drainedEndpointKeepsItsSessionsAndGetsNoNewOnes() throws Exception {
        try (RawServer a = named("a"); RawServer b = named("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML.formatted("balancer: round_robin"),
                     Map.of("UP1", a.address(), "UP2", b.address()))) {
            StringBuilder who = new StringBuilder();
            try (Socket session = open(sluice, null, who)) {
                assertThat(who.toString()).isEqualTo("a");
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                sluice.adminUri("/api/upstreams/db/endpoints/" + a.address() + "/drain"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                List<String> next = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    next.add(via(sluice, null));
                }
                assertThat(next).containsOnly("b");
                session.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = session.getInputStream();
                assertThat(ProxyProtocolTest.readLine(in)).isEqualTo("still here");
            }
        }
    }

    static URI unused() {
        return null;
    }
}
