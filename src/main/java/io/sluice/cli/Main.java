package io.sluice.cli;

import io.sluice.config.ConfigError;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.Durations;
import io.sluice.config.QuickConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.runtime.Sluice;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The entry point: {@code sluice run|check|proxy|version}. The four commands are parsed here by hand: a
 * command-line library (picocli was one) stays loaded for the life of the proxy, some 170 classes and
 * over 1 MiB of memory for four commands.
 */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    /** Exit code of a command line that names no known command, or lacks or has extra arguments. */
    static final int USAGE_ERROR = 2;

    static final String USAGE = """
            Usage: sluice [-hV] COMMAND
            A reverse proxy, load balancer and API gateway.
              -h, --help      Show this help message and exit.
              -V, --version   Print version information and exit.
            Commands:
              run FILE        Run the proxy with the configuration in FILE.
              check FILE      Validate FILE: exit 0 when valid, 1 with every error on stderr.
              proxy --from=ADDR --to=URL [--to=URL]... [--balancer=NAME]
                              Quick mode: one HTTP listener (ADDR: host:port) in front of the given
                              upstream endpoints, no file; NAME: the load-balancing algorithm
                              (default: round_robin).
              version         Print the version.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command {@code args} name and returns the exit code. */
    static int execute(String... args) {
        try {
            if (args.length == 0) {
                System.err.print(USAGE);
                return 0;
            }
            String command = args[0];
            List<String> rest = List.of(args).subList(1, args.length);
            return switch (command) {
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    yield 0;
                }
                case "-V", "--version", "version" -> {
                    noMore(rest, 0);
                    System.out.println("sluice " + version());
                    yield 0;
                }
                case "run" -> run(file(rest));
                case "check" -> check(file(rest));
                case "proxy" -> proxy(rest);
                default -> throw new UsageException(command.startsWith("-")
                        ? "Unknown option: '" + command + "'" : "Unknown command: '" + command + "'");
            };
        } catch (UsageException e) {
            System.err.println(e.getMessage());
            System.err.print(USAGE);
            return USAGE_ERROR;
        } catch (Exception e) {
            log.error("sluice failed", e);
            return 1;
        }
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

    private static Path file(List<String> rest) {
        if (rest.isEmpty()) {
            throw new UsageException("Missing required parameter: 'FILE'");
        }
        noMore(rest, 1);
        return Path.of(rest.get(0));
    }

    private static void noMore(List<String> rest, int expected) {
        if (rest.size() > expected) {
            throw new UsageException("Unmatched argument: '" + rest.get(expected) + "'");
        }
    }

    private static int run(Path file) throws Exception {
        SluiceConfig config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            printErrors(e.errors());
            return 1;
        }
        return serve(config, file);
    }

    private static int check(Path file) {
        try {
            ConfigLoader.load(file);
            System.out.println(file + ": ok");
            return 0;
        } catch (ConfigException e) {
            printErrors(e.errors());
            return 1;
        }
    }

    /** {@code proxy --from ADDR --to URL [--to URL ...] [--balancer NAME]}; each also as {@code --name=value}. */
    private static int proxy(List<String> rest) throws Exception {
        String from = null;
        List<String> to = new ArrayList<>();
        String balancer = "round_robin";
        for (int i = 0; i < rest.size(); i++) {
            String arg = rest.get(i);
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : arg;
            if (!name.equals("--from") && !name.equals("--to") && !name.equals("--balancer")) {
                throw new UsageException(arg.startsWith("-")
                        ? "Unknown option: '" + arg + "'" : "Unmatched argument: '" + arg + "'");
            }
            String value;
            if (eq > 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < rest.size()) {
                value = rest.get(++i);
            } else {
                throw new UsageException("Missing required parameter for option '" + name + "'");
            }
            switch (name) {
                case "--from" -> from = value;
                case "--to" -> to.add(value);
                default -> balancer = value;
            }
        }
        if (from == null || to.isEmpty()) {
            throw new UsageException("Missing required option: '" + (from == null ? "--from=ADDR" : "--to=URL") + "'");
        }
        SluiceConfig config;
        try {
            config = QuickConfig.build(from, to, balancer);
        } catch (ConfigException e) {
            printErrors(e.errors());
            return 1;
        }
        return serve(config, null);
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
        log.info("stopping: draining connections for up to {}", Durations.format(sluice.config().server().shutdownTimeout()));
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

    /** A command line this class cannot run: printed with the usage, exit code {@link #USAGE_ERROR}. */
    private static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
