package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.internal.PlatformDependent;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code server.buffer_budget}: half the direct-memory limit by default, a size when set, changed by a reload. */
class BufferBudgetReloadTest {
    private static final String YAML = """
            %s
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - respond: { status: 200 }
            admin: { address: 127.0.0.1:0 }
            """;

    private static double budget(SluiceUnderTest sluice) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(sluice.adminUri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("sluice_buffer_budget_bytes ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).orElseThrow();
    }

    @Test
    void theBudgetDefaultsToHalfTheDirectMemoryLimitAndAReloadChangesIt() throws Exception {
        try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML.formatted(""), Map.of())) {
            assertThat(budget(sluice)).isEqualTo((double) (PlatformDependent.maxDirectMemory() / 2));
            sluice.reload(YAML.formatted("server: { buffer_budget: 64MiB }"), Map.of());
            assertThat(budget(sluice)).isEqualTo(64.0 * 1024 * 1024);
            sluice.reload(YAML.formatted(""), Map.of());
            assertThat(budget(sluice)).isEqualTo((double) (PlatformDependent.maxDirectMemory() / 2));
        }
    }
}
