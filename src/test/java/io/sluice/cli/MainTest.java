package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line parsed by hand: exit codes and messages of the commands that do not start a proxy. */
class MainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpAndVersion() {
        assertThat(Main.execute("--help")).isZero();
        assertThat(out()).startsWith("Usage: sluice").contains("run FILE", "check FILE", "proxy --from=ADDR", "version");
        out.reset();
        assertThat(Main.execute("version")).isZero();
        assertThat(Main.execute("-V")).isZero();
        assertThat(out()).isEqualTo("sluice " + Main.version() + System.lineSeparator()
                + "sluice " + Main.version() + System.lineSeparator());
    }

    @Test
    void badCommandLinesExitTwoWithTheUsage() {
        String[][] lines = {
                {"bogus"},                                 // 1: no such command
                {"--bogus"},                               // 2: no such option
                {"run"},                                   // 3: FILE missing
                {"check", "a.yaml", "b.yaml"},             // 4: one FILE too many
                {"version", "extra"},                      // 5: version takes nothing
                {"proxy", "--from", "127.0.0.1:8080"},     // 6: no --to
                {"proxy", "--to", "http://127.0.0.1:1"},   // 7: no --from
                {"proxy", "--from"},                       // 8: option without its value
                {"proxy", "--from=127.0.0.1:8080", "--to=http://127.0.0.1:1", "--weight=3"}, // 9: unknown option
        };
        for (String[] line : lines) {
            err.reset();
            assertThat(Main.execute(line)).as(String.join(" ", line)).isEqualTo(Main.USAGE_ERROR);
            assertThat(err()).as(String.join(" ", line)).contains("Usage: sluice");
        }
    }

    @Test
    void checkSaysOkOrListsTheErrors() throws Exception {
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, """
                listeners:
                  - name: main
                    address: 127.0.0.1:8080
                    routes:
                      - respond: { status: 200 }
                """);
        assertThat(Main.execute("check", good.toString())).isZero();
        assertThat(out()).contains(good + ": ok");
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "listeners: 3\n");
        assertThat(Main.execute("check", bad.toString())).isEqualTo(1);
        assertThat(err()).contains(bad + ":1:12: ");
    }

    @Test
    void proxyWithABadBalancerIsAConfigurationError() {
        assertThat(Main.execute("proxy", "--from=127.0.0.1:8080", "--to=http://127.0.0.1:1", "--balancer=nope"))
                .isEqualTo(1);
        assertThat(err()).contains("unknown balancer 'nope'");
    }
}
