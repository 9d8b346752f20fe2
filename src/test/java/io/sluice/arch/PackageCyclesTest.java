package io.sluice.arch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package dependencies that once ran both ways stay one way: the lower package exposes a small interface
 * or owns the value type, the upper one implements or uses it (README, "Layout"). Read from the sources
 * without their comments, so a fully qualified name in the code counts as much as an import.
 */
class PackageCyclesTest {
    private static final Path SOURCES = Path.of("src/main/java/io/sluice");
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.sluice\\.([a-z]+(?:\\.[a-z]+)*)\\.[A-Z]");
    /** Comments may name the packages above (to say who implements an interface). */
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    /** {from, to}: nothing in {@code from} (its subpackages included) may name a class of {@code to}. */
    private static final String[][] FORBIDDEN = {
        {"metrics", "upstream"},   // upstreams implement MeteredUpstream; metrics read them through it
        {"upstream", "route"},     // routes implement upstream.ForwardingRoute
        {"upstream", "accept"},    // the client's address is exchange.ClientAddress
        {"tcp", "accept"},
        {"admin", "runtime"},      // runtime implements AdminServer.Reloads; the outcome is admin.ReloadOutcome
        {"exchange", "accept"},
        {"observe", "runtime"},    // runtime builds Observability; the build's version is build.BuildProperties
    };

    @Test
    void lowerPackagesDoNotNameTheOnesAboveThem() throws IOException {
        List<String> found = new ArrayList<>();
        for (String[] rule : FORBIDDEN) {
            Path dir = SOURCES.resolve(rule[0]);
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                    Matcher m = REFERENCE.matcher(COMMENT.matcher(Files.readString(file)).replaceAll(""));
                    while (m.find()) {
                        String target = m.group(1);
                        if (target.equals(rule[1]) || target.startsWith(rule[1] + ".")) {
                            found.add(SOURCES.relativize(file) + " names io.sluice." + target);
                        }
                    }
                }
            }
        }
        assertThat(found).isEmpty();
    }
}
