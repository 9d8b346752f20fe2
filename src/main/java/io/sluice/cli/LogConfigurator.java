package io.sluice.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The process's logging, set up in code: one {@link LogLine} per event on stderr (or appended to the file
 * {@code SLUICE_LOG_FILE}, reopened by {@link #reopen} on SIGUSR1 and SIGHUP), the level from
 * {@code SLUICE_LOG_LEVEL} (default INFO), Netty at WARN; {@code SLUICE_LOG_FORMAT=json} for one JSON object a
 * line. Logback finds it through
 * {@code META-INF/services}. Doing in code what a {@code logback.xml} would do keeps logback's XML
 * configuration machinery (Joran and the JDK's XML parser, some 430 classes, about 2.5 MiB of metaspace
 * and heap) out of the process. A {@code -Dlogback.configurationFile=...} or a {@code logback-test.xml}
 * on the class path still wins.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    /** The file appender when SLUICE_LOG_FILE is set, else null. */
    private static volatile FileAppender<ILoggingEvent> file;

    /**
     * Reopens the process log file by its name (after logrotate moved it); nothing without one. The new
     * file is opened while the appender runs and swapped in under its lock, so no line is dropped; when it
     * cannot be opened, logging goes on to the file already open (a stop and start lost the lines between,
     * and after a failed start nothing was logged any more).
     */
    public static void reopen() {
        FileAppender<ILoggingEvent> f = file;
        if (f == null) {
            return;
        }
        try {
            f.openFile(f.getFile()); // closes the old stream only once the new one is open
        } catch (java.io.IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(LogConfigurator.class).warn(
                    "process log: cannot reopen {}, writing on to the file already open: {}", f.getFile(), e.toString());
        }
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || LogConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LogLine layout = new LogLine("json".equalsIgnoreCase(setting("SLUICE_LOG_FORMAT")));
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> out;
        String logFile = setting("SLUICE_LOG_FILE");
        if (logFile != null && !logFile.isBlank()) {
            FileAppender<ILoggingEvent> f = new FileAppender<>();
            f.setFile(logFile);
            f.setAppend(true);
            f.setName("FILE");
            out = f;
            file = f;
        } else {
            ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
            stderr.setTarget("System.err");
            stderr.setName("STDERR");
            out = stderr;
        }
        out.setContext(context);
        out.setEncoder(encoder);
        out.start();
        context.getLogger("io.netty").setLevel(Level.WARN);
        // the ZooKeeper client and Curator (discovery) log every connection step at INFO; Sluice says what matters
        context.getLogger("org.apache.zookeeper").setLevel(Level.WARN);
        context.getLogger("org.apache.curator").setLevel(Level.WARN);
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(setting("SLUICE_LOG_LEVEL"), Level.INFO));
        root.addAppender(out);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** A system property, else an environment variable: where logback.xml's {@code ${NAME}} looked. */
    private static String setting(String name) {
        String value = System.getProperty(name);
        return value != null ? value : System.getenv(name);
    }
}
