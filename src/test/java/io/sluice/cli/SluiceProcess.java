package io.sluice.cli;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Sluice as a separate process, started the way bin/sluice starts it (the same main class, the test
 * classpath instead of the jar), so tests can send it real signals and read its exit code and output.
 */
final class SluiceProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private SluiceProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static SluiceProcess start(String... args) throws IOException {
        return startWrapped(List.of(), args);
    }

    /** Started through {@code wrapper} (for example {@code nohup}), which runs the java command it is given. */
    static SluiceProcess startWrapped(List<String> wrapper, String... args) throws IOException {
        return startWith(wrapper, java.util.Map.of(), args);
    }

    /** With extra environment variables. */
    static SluiceProcess startWith(List<String> wrapper, java.util.Map<String, String> env, String... args)
            throws IOException {
        Path log = Files.createTempFile("sluice-process", ".log");
        List<String> command = new ArrayList<>(wrapper);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        // without the test classes: the child logs as the real process does (no logback-test.xml)
        command.add(java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes"))
                .collect(java.util.stream.Collectors.joining(File.pathSeparator)));
        command.add("-Dio.netty.leakDetection.level=disabled");
        command.add("-Dio.netty.allocator.type=pooled"); // as bin/sluice
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        return new SluiceProcess(p, log);
    }

    /** Runs to completion (for check and version); returns the exit code. */
    int waitFor() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("sluice did not exit; output:\n" + output());
        }
        return process.exitValue();
    }

    boolean waitForExit(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    int exitValue() {
        return process.exitValue();
    }

    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<unreadable: " + e + ">";
        }
    }

    long pid() {
        return process.pid();
    }

    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " failed");
        }
    }

    /**
     * Waits until the process answers an HTTP/1.1 request on {@code port}. Fails at once, with the process's
     * output, if it exits first (a port taken between {@link #freePort()} and its bind, a bad config), and
     * with that output after 90 s, so a failure says what the process said.
     */
    void awaitServing(int port) {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50)).until(() -> {
                if (!process.isAlive()) {
                    throw new AssertionError("sluice exited (" + process.exitValue() + ") before it answered on port "
                            + port + "; output:\n" + output());
                }
                return answers(port);
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("sluice did not answer on port " + port + " within 90 s; output:\n" + output(), e);
        }
    }

    /** One GET / over a plain socket: true when an HTTP response line comes back within 10 s. */
    private static boolean answers(int port) {
        try (Socket s = connect(port)) {
            if (s == null) {
                return false;
            }
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readNBytes(7), StandardCharsets.US_ASCII).equals("HTTP/1.");
        } catch (IOException e) {
            return false;
        }
    }

    /** True when something listens on {@code port} (and accepts a connection). */
    static boolean accepts(int port) {
        try (Socket s = connect(port)) {
            return s != null;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A connection to {@code port}, or null when the kernel gave it {@code port} itself as its source port:
     * with nothing listening yet, that is TCP's simultaneous open, a socket connected to itself, which would
     * also hold the port the process is about to bind.
     */
    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        if (s.getLocalPort() == port) {
            s.close();
            return null;
        }
        return s;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        log.toFile().delete();
    }

    static String classpathSeparator() {
        return File.pathSeparator;
    }
}
