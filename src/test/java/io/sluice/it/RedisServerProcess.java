package io.sluice.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Redis for a test: Debian's {@code redis-server} (installed by {@code .ci/run}) on a free loopback port,
 * no persistence. Stopped and started again on the same port to play a Redis that goes away and comes back.
 * Skips the test when the binary is missing (a developer machine without it).
 */
final class RedisServerProcess implements AutoCloseable {
    private final String binary;
    private final int port;
    private Process process;

    private RedisServerProcess(String binary, int port) {
        this.binary = binary;
        this.port = port;
    }

    static RedisServerProcess start() throws Exception {
        String binary = Files.isExecutable(Path.of("/usr/bin/redis-server")) ? "/usr/bin/redis-server" : null;
        Assumptions.assumeTrue(binary != null, "redis-server is not installed (.ci/run installs it)");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        RedisServerProcess r = new RedisServerProcess(binary, port);
        r.up();
        return r;
    }

    int port() {
        return port;
    }

    /** Starts the server and waits until it accepts connections. */
    void up() throws IOException {
        process = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(this::accepting);
    }

    /** Stops the server and waits until the port is closed. */
    void down() throws InterruptedException {
        process.destroy();
        process.waitFor();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !accepting());
    }

    private boolean accepting() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor();
        }
    }
}
