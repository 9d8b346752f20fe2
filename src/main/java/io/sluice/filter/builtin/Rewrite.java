package io.sluice.filter.builtin;

import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Verdict;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code rewrite}: replaces what {@code path_regex} matches in the path (after {@code strip_prefix}) with
 * {@code replacement} ({@code $1}... name its groups) before forwarding; the query is kept. A path the
 * regex does not match goes on unchanged. Traefik's ReplacePathRegex: anchor the regex ({@code ^/old/(.*)})
 * to replace the whole path.
 */
public final class Rewrite implements FilterFactory<Rewrite.Settings> {

    public record Settings(Pattern regex, String replacement) {
    }

    @Override
    public String type() {
        return "rewrite";
    }

    @Override
    public List<String> keys() {
        return List.of("path_regex", "replacement");
    }

    @Override
    public Settings configure(FilterSettings s) {
        boolean complete = s.require("path_regex") & s.require("replacement");
        Pattern regex = s.value("path_regex", null, Rewrite::regex);
        String replacement = s.string("replacement", null);
        if (!complete || regex == null || replacement == null) {
            return null;
        }
        try {
            regex.matcher("").replaceFirst(replacement); // a bad group reference fails here, not per request
            Matcher probe = regex.matcher("");
            int groups = probe.groupCount();
            Matcher refs = Pattern.compile("\\$(\\d+)").matcher(replacement);
            while (refs.find()) {
                if (Integer.parseInt(refs.group(1)) > groups) {
                    s.error("replacement", "replacement refers to group $" + refs.group(1) + " but path_regex has "
                            + groups + " group" + (groups == 1 ? "" : "s"));
                    return null;
                }
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            s.error("replacement", "bad replacement '" + replacement + "': " + e.getMessage());
            return null;
        }
        return new Settings(regex, replacement);
    }

    private static Pattern regex(String text) {
        try {
            return Pattern.compile(text);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("bad path_regex '" + text + "' (" + e.getDescription() + ")");
        }
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        return new Filter() {
            @Override
            public Verdict onRequest(FilterContext context) {
                String path = context.request().path();
                Matcher m = settings.regex().matcher(path);
                if (m.find()) {
                    String rewritten = m.replaceAll(settings.replacement());
                    context.request().setPath(rewritten.startsWith("/") ? rewritten : "/" + rewritten);
                }
                return Verdict.next();
            }
        };
    }
}
