package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@link Main#CONVERTER_EXCLUDES} tells picocli not to register its converters for some JDK types: an option of
 * such a type added later would fail at every start. Every option and parameter of every command is checked.
 */
class ConverterExcludesTest {

    @Test
    void noOptionOfAnyCommandHasAnExcludedType() {
        Pattern excluded = Pattern.compile(Main.CONVERTER_EXCLUDES);
        List<String> types = new ArrayList<>();
        collect(new CommandLine(new Main()).getCommandSpec(), types);
        assertThat(types).isNotEmpty().contains("java.nio.file.Path", "int");
        assertThat(types).noneMatch(t -> excluded.matcher(t).matches());
    }

    @Test
    void theExcludesCoverTheTypesTheyAreFor() {
        Pattern excluded = Pattern.compile(Main.CONVERTER_EXCLUDES);
        assertThat(List.of("java.time.Duration", "java.sql.Timestamp")).allMatch(t -> excluded.matcher(t).matches());
        assertThat(List.of("java.nio.file.Path", "java.lang.String")).noneMatch(t -> excluded.matcher(t).matches());
    }

    private static void collect(CommandSpec spec, List<String> types) {
        for (ArgSpec arg : spec.args()) {
            types.add(arg.type().getName());
            for (Class<?> auxiliary : arg.auxiliaryTypes()) {
                types.add(auxiliary.getName());
            }
        }
        spec.subcommands().values().forEach(sub -> collect(sub.getCommandSpec(), types));
    }
}
