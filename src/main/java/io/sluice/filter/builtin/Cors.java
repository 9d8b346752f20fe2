package io.sluice.filter.builtin;

import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Headers;
import io.sluice.filter.api.Reply;
import io.sluice.filter.api.Verdict;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code cors}: Cross-Origin Resource Sharing (the Fetch standard's CORS protocol) answered by the proxy. A
 * preflight ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}) from an allowed
 * origin is answered 204 here with the {@code Access-Control-Allow-*} fields, and goes no further; any other
 * request from an allowed origin goes on, and its response gets {@code Access-Control-Allow-Origin} (and
 * {@code Vary: Origin}, the exposed fields, credentials). A request from an origin not allowed, or without
 * {@code Origin}, is left as it is: no CORS field is added, and the browser refuses the response to the page
 * (but with a list of origins every response gets {@code Vary: Origin}, for caches).
 * The fields this filter sets replace any of the same name the upstream sent, so a browser never sees two.
 */
public final class Cors implements FilterFactory<Cors.Settings> {
    static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");
    static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(10);

    /** {@code allowHeaders} null: those the preflight asks for. {@code anyOrigin}: {@code allow_origins: ["*"]}. */
    public record Settings(Set<String> origins, boolean anyOrigin, String allowMethods, String allowHeaders,
                           String exposeHeaders, boolean credentials, long maxAgeSeconds) {
    }

    private static final FilterContext.Key<String> ORIGIN = FilterContext.Key.of("cors.origin");

    @Override
    public String type() {
        return "cors";
    }

    @Override
    public List<String> keys() {
        return List.of("allow_origins", "allow_methods", "allow_headers", "expose_headers", "allow_credentials",
                "max_age");
    }

    @Override
    public Settings configure(FilterSettings s) {
        if (!s.require("allow_origins")) {
            return null;
        }
        Set<String> origins = new LinkedHashSet<>();
        boolean any = false;
        boolean ok = true;
        for (String origin : s.strings("allow_origins")) {
            if (origin.equals("*")) {
                any = true;
                continue;
            }
            String normal = origin(origin);
            if (normal == null) {
                s.error("allow_origins", "bad origin '" + origin + "' (expected scheme://host[:port] without a path,"
                        + " e.g. https://app.example.com, or *)");
                ok = false;
            } else {
                origins.add(normal);
            }
        }
        if (!any && origins.isEmpty() && ok) {
            s.error("allow_origins", "'allow_origins' is empty (list origins, or * for every origin)");
            ok = false;
        }
        List<String> methods = s.has("allow_methods") ? s.strings("allow_methods") : DEFAULT_METHODS;
        for (String m : methods) {
            if (!m.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                s.error("allow_methods", "bad method '" + m + "'");
                ok = false;
            }
        }
        String allowHeaders = s.has("allow_headers") ? String.join(", ", s.strings("allow_headers")) : null;
        String expose = String.join(", ", s.strings("expose_headers"));
        boolean credentials = s.bool("allow_credentials", false);
        if (any && credentials) {
            // a browser refuses * with credentials; echoing every origin instead would let any site read a user's
            // credentialed answers (Spring refuses the same)
            s.error("allow_origins", "'*' cannot go with 'allow_credentials: true': list the origins that may send"
                    + " credentials, e.g. [\"https://app.example.com\"]");
            ok = false;
        }
        Duration maxAge = s.duration("max_age", DEFAULT_MAX_AGE);
        return ok ? new Settings(Set.copyOf(origins), any, String.join(", ", methods), allowHeaders, expose,
                credentials, maxAge.toSeconds()) : null;
    }

    /** An origin as browsers send it ({@code scheme://host[:port]}, lower case); null when it is not one. */
    static String origin(String text) {
        try {
            URI u = new URI(text.strip());
            if (u.getScheme() == null || u.getHost() == null || (u.getRawPath() != null && !u.getRawPath().isEmpty())
                    || u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
                return null;
            }
            String scheme = u.getScheme().toLowerCase(Locale.ROOT);
            return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (u.getPort() < 0 ? "" : ":" + u.getPort());
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        return new Filter() {
            @Override
            public Verdict onRequest(FilterContext context) {
                Headers in = context.request().headers();
                String origin = in.get("Origin");
                if (origin == null || !allowed(settings, origin)) {
                    return Verdict.next();
                }
                String requestedMethod = in.get("Access-Control-Request-Method");
                if ("OPTIONS".equals(context.request().method()) && requestedMethod != null) {
                    Reply preflight = Reply.of(204)
                            .header("Access-Control-Allow-Origin", allowOrigin(settings, origin))
                            .header("Access-Control-Allow-Methods", settings.allowMethods())
                            .header("Access-Control-Max-Age", Long.toString(settings.maxAgeSeconds()))
                            .header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
                    String asked = in.get("Access-Control-Request-Headers");
                    String headers = settings.allowHeaders() != null ? settings.allowHeaders() : asked;
                    if (headers != null && !headers.isEmpty()) {
                        preflight.header("Access-Control-Allow-Headers", headers);
                    }
                    if (settings.credentials()) {
                        preflight.header("Access-Control-Allow-Credentials", "true");
                    }
                    return Verdict.answer(preflight);
                }
                context.set(ORIGIN, origin);
                return Verdict.next();
            }

            @Override
            public void onResponse(FilterContext context) {
                String origin = context.get(ORIGIN);
                Headers out = context.response().headers();
                if (!settings.anyOrigin()) {
                    // with a list, the answer depends on Origin even when it has no CORS field: a cache must not
                    // give this copy (made for no Origin, or one not listed) to a listed origin
                    addVary(out, "Origin");
                }
                if (origin == null) {
                    return;
                }
                out.set("Access-Control-Allow-Origin", allowOrigin(settings, origin));
                if (!settings.exposeHeaders().isEmpty()) {
                    out.set("Access-Control-Expose-Headers", settings.exposeHeaders());
                }
                if (settings.credentials()) {
                    out.set("Access-Control-Allow-Credentials", "true");
                }
                addVary(out, "Origin");
            }
        };
    }

    static boolean allowed(Settings settings, String origin) {
        if (settings.anyOrigin()) {
            return true;
        }
        String normal = origin(origin);
        return normal != null && settings.origins().contains(normal);
    }

    /** The origin itself, or {@code *} for any origin (never with credentials: a configuration error). */
    static String allowOrigin(Settings settings, String origin) {
        return settings.anyOrigin() ? "*" : origin;
    }

    /** Adds {@code name} to {@code Vary} unless it is there already (or {@code Vary: *}). */
    static void addVary(Headers out, String name) {
        List<String> values = new ArrayList<>();
        for (String v : out.getAll("Vary")) {
            for (String part : v.split(",")) {
                String p = part.strip();
                if (p.equals("*") || p.equalsIgnoreCase(name)) {
                    return; // already varies on it (or on everything)
                }
                if (!p.isEmpty()) {
                    values.add(p);
                }
            }
        }
        values.add(name);
        out.set("Vary", String.join(", ", values));
    }
}
