package io.sluice.cli;

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
import sun.misc.Signal;

/** The entry point: {@code sluice run|check|proxy|version}. */
@Command(name = "sluice", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A reverse proxy, load balancer and API gateway.",
        subcommands = {Main.Run.class, Main.Check.class, Main.Proxy.class, Main.VersionCommand.class})
public final class Main implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static void printErrors(List<ConfigError> errors) {
        for (ConfigError e : errors) {
            System.err.println(e);
        }
    }

    @Command(name = "run", description = "Run the proxy with the configuration in FILE.")
    static final class Run implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() throws Exception {
            SluiceConfig config;
            try {
                config = ConfigLoader.load(file);
            } catch (ConfigException e) {
                printErrors(e.errors());
                return 1;
            }
            return serve(config, file);
        }
    }

    @Command(name = "check", description = "Validate FILE: exit 0 when valid, 1 with every error on stderr.")
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() {
            try {
                ConfigLoader.load(file);
                System.out.println(file + ": ok");
                return 0;
            } catch (ConfigException e) {
                printErrors(e.errors());
                return 1;
            }
        }
    }

    @Command(name = "proxy", description = "Quick mode: one HTTP listener in front of the given upstreams, no file.")
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
            return serve(config, null);
        }
    }

    @Command(name = "version", description = "Print the version.")
    static final class VersionCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println("sluice " + version());
            return 0;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"sluice " + version()};
        }
    }

    /** Runs until SIGTERM or SIGINT; SIGHUP reloads {@code file} when there is one. */
    private static int serve(SluiceConfig config, Path file) throws Exception {
        Sluice sluice = new Sluice(config);
        try {
            sluice.start();
        } catch (Exception e) {
            System.err.println("sluice: " + e.getMessage());
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        if (file != null) {
            Signal.handle(new Signal("HUP"), s -> reload(sluice, file));
        }
        stop.await();
        log.info("stopping: draining connections for up to {}", io.sluice.config.Durations.format(sluice.config().server().shutdownTimeout()));
        sluice.stop(sluice.config().server().shutdownTimeout());
        log.info("stopped");
        return 0;
    }

    private static synchronized void reload(Sluice sluice, Path file) {
        try {
            sluice.reload(ConfigLoader.load(file));
        } catch (ConfigException e) {
            log.error("reload refused, the running configuration stays:\n{}",
                    String.join("\n", e.errors().stream().map(ConfigError::toString).toList()));
        } catch (Exception e) {
            log.error("reload failed, the running configuration stays: {}", e.getMessage());
        }
    }
}
