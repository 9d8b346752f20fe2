package io.sluice.it;

import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.runtime.Sluice;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real Sluice started from a YAML string, for black-box tests. Listen on port 0 in the YAML and ask
 * {@link #port} for the real one; {@code ${NAME}} in the YAML expands from {@code env}.
 */
public final class SluiceUnderTest implements AutoCloseable {
    private final Sluice sluice;
    private final Path file;

    private SluiceUnderTest(Sluice sluice, Path file) {
        this.sluice = sluice;
        this.file = file;
    }

    public static SluiceUnderTest start(String yaml, Map<String, String> env) throws Exception {
        Path dir = Files.createTempDirectory("sluice-it");
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, yaml);
        SluiceConfig config = ConfigLoader.load(file, env);
        Sluice sluice = new Sluice(config);
        sluice.source(yaml); // what /api/config shows
        sluice.start();
        return new SluiceUnderTest(sluice, file);
    }

    public static SluiceUnderTest start(String yaml) throws Exception {
        return start(yaml, Map.of());
    }

    /** Writes {@code yaml} over the file and reloads it, as SIGHUP does. */
    public void reload(String yaml, Map<String, String> env) throws Exception {
        Files.writeString(file, yaml);
        sluice.reload(ConfigLoader.load(file, env));
        sluice.source(yaml);
    }

    public Sluice sluice() {
        return sluice;
    }

    public Path file() {
        return file;
    }

    public int port(String listener) {
        InetSocketAddress address = sluice.listenerAddress(listener);
        if (address == null) {
            throw new IllegalArgumentException("no listener " + listener);
        }
        return address.getPort();
    }

    public URI uri(String listener, String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port(listener) + pathAndQuery);
    }

    public URI adminUri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + sluice.adminAddress().getPort() + pathAndQuery);
    }

    public void stop(Duration timeout) {
        sluice.stop(timeout);
    }

    @Override
    public void close() {
        sluice.close();
    }
}
