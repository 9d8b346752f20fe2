package io.sluice.cli;

import io.sluice.build.BuildProperties;
import io.sluice.config.ConfigError;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.QuickConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.runtime.Sluice;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The entry point: {@code sluice run|check|proxy|reload|version|help}. */
@Command(name = "sluice", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A reverse proxy, load balancer and API gateway.",
        subcommands = {Main.Run.class, Main.Check.class, Main.Proxy.class, ReloadCommand.class,
                Main.VersionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * picocli registers, at every start, converters for the {@code java.time} and {@code java.sql} types by
     * reflection, which loads those classes and {@code java.sql}'s {@code DriverManager} with them; no option of
     * Sluice's takes one of them. Leaving them out is 1.4 MiB less memory after start (docs/benchmarks.md,
     * "Morning of 2026-12-07"). A value set with {@code -D} is kept.
     */
    static final String CONVERTER_EXCLUDES = "java\\.time\\..*|java\\.sql\\..*";

    public static void main(String[] args) {
        if (System.getProperty("picocli.converters.excludes") == null) {
            System.setProperty("picocli.converters.excludes", CONVERTER_EXCLUDES);
        }
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    /**
     * Every error as {@code FILE:LINE:COL: message}, one a line; a YAML syntax error is followed by the
     * offending line of the file and a caret under the column (the parser stops at the first one).
     */
    static void printErrors(List<ConfigError> errors) {
        for (ConfigError e : errors) {
            System.err.println(e);
            if (e.message().startsWith("bad YAML")) {
                excerpt(e).forEach(System.err::println);
            }
        }
    }

    /** The line {@code e} points at and a caret under its column, or nothing when the file cannot be read. */
    static List<String> excerpt(ConfigError e) {
        try {
            List<String> lines = java.nio.file.Files.readAllLines(Path.of(e.file()));
            int lineNo = e.line();
            int column = e.column();
            if (lineNo < 1 || lineNo > lines.size() || lines.get(lineNo - 1).isBlank()) {
                // the end of the file: show where the unclosed part began instead
                var started = java.util.regex.Pattern.compile("started at line (\\d+), column (\\d+)").matcher(e.message());
                if (!started.find()) {
                    return List.of();
                }
                lineNo = Integer.parseInt(started.group(1));
                column = Integer.parseInt(started.group(2));
                if (lineNo > lines.size()) {
                    return List.of();
                }
            }
            String line = lines.get(lineNo - 1).replace('\t', ' ');
            int col = Math.max(1, Math.min(column, line.length() + 1));
            return List.of("    " + line, "    " + " ".repeat(col - 1) + "^");
        } catch (java.io.IOException | RuntimeException ex) {
            return List.of();
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = {"Run the proxy with the configuration in FILE.",
                    "Signals: HUP reloads FILE, USR1 reopens the logs, TERM and INT stop gracefully."})
    static final class Run implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() throws Exception {
            SluiceConfig config;
            // parsed from the text read once, so /api/config shows exactly what is in force
            String text = Sluice.readOrNull(file);
            try {
                config = text == null ? ConfigLoader.load(file) : ConfigLoader.parse(text, file);
            } catch (ConfigException e) {
                printErrors(e.errors());
                return 1;
            }
            return serve(config, file, text);
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = {"Validate FILE: exit 0 when valid, 1 with every error on stderr as FILE:LINE:COL: message.",
                    "Warnings (a non-loopback admin address without a token, and with --warnings: routes that can "
                            + "never match, upstreams no route uses) go to stderr too; they do not change the exit code."})
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Option(names = {"-w", "--warnings"}, description = "also report routes that can never match, unused upstreams and the like")
        boolean warnings;

        @Override
        public Integer call() {
            SluiceConfig config;
            try {
                config = ConfigLoader.load(file);
            } catch (ConfigException e) {
                printErrors(e.errors());
                return 1;
            }
            List<String> found = io.sluice.config.ConfigWarnings.find(config, warnings);
            found.forEach(w -> System.err.println(file + ": warning: " + w));
            System.out.println(file + ": ok" + (found.isEmpty() ? "" : " (" + found.size() + " warning"
                    + (found.size() == 1 ? "" : "s") + ")"));
            return 0;
        }
    }

    @Command(name = "proxy", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Quick mode: one HTTP listener in front of the given upstreams, no file.")
    static final class Proxy implements Callable<Integer> {
        @Option(names = "--from", required = true, paramLabel = "ADDR", description = "host:port to listen on")
        String from;

        @Option(names = "--to", required = true, paramLabel = "URL", description = "an upstream endpoint (repeatable)")
        List<String> to;

        @Option(names = "--balancer", paramLabel = "NAME", defaultValue = "round_robin",
                description = "load-balancing algorithm (default: ${DEFAULT-VALUE})")
        String balancer;

        @Override
        public Integer call() throws Exception {
            SluiceConfig config;
            try {
                config = QuickConfig.build(from, to, balancer);
            } catch (ConfigException e) {
                printErrors(e.errors());
                return 1;
            }
            return serve(config, null, null);
        }
    }

    @Command(name = "version", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Print the version; with --verbose also the build's commit, the JDK, Netty, the transport and the TLS provider.")
    static final class VersionCommand implements Callable<Integer> {
        @Option(names = {"-v", "--verbose"}, description = "print the build and platform details too")
        boolean verbose;

        @Override
        public Integer call() {
            System.out.println("sluice " + BuildProperties.version());
            if (verbose) {
                io.sluice.runtime.BuildInfo.details().forEach((k, v) -> System.out.println(k + ": " + v));
            }
            return 0;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"sluice " + BuildProperties.version()};
        }
    }

    /**
     * Runs until SIGTERM or SIGINT; SIGHUP reloads {@code file} when there is one, SIGUSR1 reopens the logs.
     * The signal handlers are in place before the first listener binds; a HUP or USR1 that comes while the
     * proxy starts is acted on once it has started.
     */
    private static int serve(SluiceConfig config, Path file, String source) throws Exception {
        Sluice sluice = new Sluice(config);
        sluice.source(source);
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        Signals.install(signal -> {
            switch (signal) {
                case "TERM", "INT" -> {
                    if (stop.getCount() == 0) {
                        log.info("SIG{}: already stopping", signal);
                    }
                    stop.countDown();
                }
                default -> {
                    // HUP, USR1: on a thread of their own, so a signal during the start waits for it
                    Thread t = new Thread(() -> {
                        awaitUninterruptibly(started);
                        if (stop.getCount() == 0) {
                            return;
                        }
                        if (signal.equals("USR1")) {
                            log.info("SIGUSR1: reopening the logs");
                            LogConfigurator.reopen();
                            sluice.reopenLogs();
                        } else if (file == null) {
                            log.warn("SIGHUP: no configuration file to reload (quick mode); reopening the logs");
                            LogConfigurator.reopen();
                            sluice.reopenLogs();
                        } else {
                            LogConfigurator.reopen();
                            sluice.reloadFileAsync("SIGHUP");
                        }
                    }, "sluice-signal-" + signal);
                    t.setDaemon(true);
                    t.start();
                }
            }
        });
        try {
            sluice.start();
        } catch (Exception e) {
            System.err.println("sluice: " + e.getMessage());
            return 1;
        } finally {
            started.countDown();
        }
        stop.await();
        log.info("stopping: draining connections for up to {}", io.sluice.config.Durations.format(sluice.config().server().shutdownTimeout()));
        sluice.stop(sluice.config().server().shutdownTimeout());
        log.info("stopped");
        return 0;
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
