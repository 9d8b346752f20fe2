package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.ConfigError;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.tls.TestPki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files shipped under deploy/ and the recipes in docs/ stay true to the code: every metric the Grafana
 * dashboard and the Prometheus alert rules name is one a running Sluice exports, and every recipe's
 * configuration loads (except keys of features marked as not built yet).
 */
class DeployFilesTest {
    private static final Pattern METRIC = Pattern.compile("\\b((?:sluice|jvm|process)_[a-z0-9_]+)\\b");

    @TempDir
    static Path dir;

    @Test
    void everyMetricTheDashboardAndTheAlertsNameExists() throws Exception {
        TestPki pki = new TestPki(dir, "deploy");
        TestPki.Issued site = pki.issue("site", "site.test");
        Set<String> exported;
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes: [ { name: app, upstream: app } ]
                       - name: secure
                         address: 127.0.0.1:0
                         protocol: https
                         tls: { certificates: [ { cert: "${CRT}", key: "${KEY}" } ] }
                         routes: [ { upstream: app } ]
                     upstreams:
                       app:
                         endpoints: [ { address: "127.0.0.1:${PORT}" } ]
                         health_check: { path: /, interval: 100ms }
                         retry: { attempts: 1 }
                     admin: { address: 127.0.0.1:0 }
                     access_log: { path: "${LOG}" }
                     """, Map.of("PORT", Integer.toString(up.port()), "CRT", site.cert().toString(),
                     "KEY", site.key().toString(), "LOG", dir.resolve("access.log").toString()))) {
            HttpClient client = HttpClient.newHttpClient();
            client.send(HttpRequest.newBuilder(sluice.uri("main", "/x")).build(), HttpResponse.BodyHandlers.discarding());
            String metrics = client.send(HttpRequest.newBuilder(sluice.adminUri("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            exported = metrics.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                    .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
            // families whose series appear only once something happened still announce themselves
            metrics.lines().filter(l -> l.startsWith("# TYPE ")).map(l -> l.split(" ")[2]).forEach(name -> {
                exported.add(name);
                exported.add(name + "_total");
                exported.add(name + "_bucket");
                exported.add(name + "_count");
                exported.add(name + "_sum");
            });
        }
        for (String file : List.of("deploy/grafana/sluice-dashboard.json", "deploy/prometheus/sluice-alerts.yml")) {
            Set<String> named = new TreeSet<>();
            Matcher m = METRIC.matcher(Files.readString(Path.of(file)));
            while (m.find()) {
                named.add(m.group(1));
            }
            assertThat(named).as(file + " names metrics").isNotEmpty();
            assertThat(exported).as("metrics named in " + file).containsAll(named);
        }
    }

    @Test
    void everyRecipeLoads() throws Exception {
        String page = Files.readString(Path.of("docs/recipes.md"));
        Matcher block = Pattern.compile("(?s)\n## ([^\n]*)\n(.*?)(?=\n## |$)").matcher(page);
        int checked = 0;
        while (block.find()) {
            String section = block.group(1);
            boolean notBuilt = block.group(2).contains("**Not on main yet**");
            Matcher yaml = Pattern.compile("(?s)```yaml\n(.*?)```").matcher(block.group(2));
            while (yaml.find()) {
                Path file = dir.resolve("recipe-" + checked++ + ".yaml");
                Files.writeString(file, yaml.group(1));
                List<String> errors = new ArrayList<>();
                try {
                    ConfigLoader.load(file);
                } catch (ConfigException e) {
                    e.errors().stream().map(ConfigError::message).forEach(errors::add);
                }
                // files named in a recipe (certificates) do not exist here; keys of unbuilt features are unknown
                errors.removeIf(e -> e.contains("/etc/sluice/tls/") || e.contains("cannot read")
                        || e.contains("no such file") || e.contains("does not exist"));
                if (notBuilt) {
                    errors.removeIf(e -> e.contains("split") || e.contains("proxy_protocol") || e.contains("unknown key")
                            || e.contains("needs one of 'upstream'"));
                }
                assertThat(errors).as("recipe '" + section + "'").isEmpty();
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(6);
    }
}
