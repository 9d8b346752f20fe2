package io.sluice.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.netty.util.NetUtil;
import io.sluice.build.BuildProperties;
import io.sluice.config.Durations;
import io.sluice.config.ExpandedValues;
import io.sluice.config.ListenerConfig;
import io.sluice.config.RouteConfig;
import io.sluice.config.SluiceConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The JSON documents of {@code /api/config}, {@code /api/listeners}, {@code /api/routes} and
 * {@code /api/version}, built from {@link AdminApi} with Jackson's tree model. A class of its own so that
 * Jackson databind (some 400 classes, about 2 MiB of metaspace) is loaded on the first such request, not
 * at start: a proxy nobody asks for these documents never loads it. Any thread; every call builds its
 * answer anew.
 */
final class ApiDocuments {
    /** Values under a key containing one of these words are replaced by {@link #REDACTED}. */
    private static final Pattern SECRET = Pattern.compile("key|password|passwd|secret|token|authorization|cookie|credential");
    static final String REDACTED = "[redacted]";

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .registerModule(new SimpleModule()
                    .addSerializer(Duration.class, toStringSerializer(Duration.class, Durations::format))
                    .addSerializer(Path.class, toStringSerializer(Path.class, Path::toString))
                    .addSerializer(Pattern.class, toStringSerializer(Pattern.class, Pattern::pattern)));

    private ApiDocuments() {
    }

    static JsonNode version(AdminApi api) {
        ObjectNode n = JSON.createObjectNode();
        n.put("version", BuildProperties.version());
        n.put("java", System.getProperty("java.version"));
        n.put("started", java.time.Instant.ofEpochMilli(api.startMillis).toString());
        n.put("uptime_seconds", (System.currentTimeMillis() - api.startMillis) / 1000);
        return n;
    }

    /** {@code {"last_reload": {"at", "trigger", "success", "errors": [...]}}}, or null before any reload. */
    static JsonNode reload(io.sluice.admin.ReloadOutcome outcome) {
        ObjectNode root = JSON.createObjectNode();
        if (outcome == null) {
            root.putNull("last_reload");
            return root;
        }
        ObjectNode n = root.putObject("last_reload");
        n.put("at", outcome.at().toString());
        n.put("trigger", outcome.trigger());
        n.put("success", outcome.success());
        ArrayNode errors = n.putArray("errors");
        outcome.errors().forEach(errors::add);
        return root;
    }

    /** The configuration in force, with secrets redacted; null without one. */
    static JsonNode config(AdminApi api) {
        String source = api.reloads == null ? null : api.reloads.source();
        if (source != null) {
            return ConfigView.of(source); // the file's own keys
        }
        SluiceConfig c = api.config.get();
        if (c == null) {
            return JSON.createObjectNode();
        }
        ObjectNode tree = JSON.valueToTree(c);
        tree.remove("expanded");
        redact(tree, "", c.expanded());
        return tree;
    }

    /**
     * Replaces with {@link #REDACTED}: every value under a key that names a secret, except the {@code key} of
     * a TLS certificate, which is a file path and says where the key is, not what it is; every header value
     * the configuration sets or matches ({@code set}, {@code headers}: a token in a header is common); every
     * string with a value from the environment in it. Passwords and user names inside URLs
     * ({@code https://user:password@host}) become {@code https://[redacted]@host}.
     */
    private static void redact(JsonNode node, String parentKey, ExpandedValues expanded) {
        if (node instanceof ObjectNode obj) {
            boolean headerValues = parentKey.equals("set") || parentKey.equals("headers");
            Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
            Map<String, String> replaced = new java.util.LinkedHashMap<>();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                JsonNode value = e.getValue();
                if (value.isNull()) {
                    continue;
                }
                boolean tlsKeyPath = key.equals("key") && parentKey.equals("certificates");
                if ((headerValues && value.isValueNode())
                        || (!tlsKeyPath && SECRET.matcher(key.toLowerCase(Locale.ROOT)).find())) {
                    replaced.put(key, REDACTED);
                } else if (value.isTextual()) {
                    String shown = redactText(value.asText(), expanded);
                    if (shown != null) {
                        replaced.put(key, shown);
                    }
                } else {
                    redact(value, key, expanded);
                }
            }
            replaced.forEach(obj::put);
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode item = array.get(i);
                String shown = item.isTextual() ? redactText(item.asText(), expanded) : null;
                if (shown != null) {
                    array.set(i, shown);
                } else {
                    redact(item, parentKey, expanded);
                }
            }
        }
    }

    /** What a string shows instead of itself, or null when it shows as it is. */
    private static String redactText(String text, ExpandedValues expanded) {
        if (expanded.appearIn(text)) {
            return REDACTED;
        }
        int scheme = text.indexOf("://");
        if (scheme < 0) {
            return null;
        }
        int start = scheme + 3;
        int end = text.length();
        for (int i = start; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '/' || ch == '?' || ch == '#') {
                end = i;
                break;
            }
        }
        int at = text.lastIndexOf('@', end - 1);
        if (at < start) {
            return null;
        }
        return text.substring(0, start) + REDACTED + text.substring(at);
    }

    static JsonNode listeners(AdminApi api) {
        ArrayNode list = JSON.createArrayNode();
        SluiceConfig c = api.config.get();
        if (c != null) {
            for (ListenerConfig l : c.listeners()) {
                ObjectNode n = list.addObject();
                n.put("name", l.name());
                n.put("address", l.address().toString());
                InetSocketAddress bound = api.boundAddress.apply(l.name());
                if (bound != null) { // the port it listens on: the one the system chose for "port 0"
                    n.put("bound_address", NetUtil.toSocketAddressString(bound));
                }
                n.put("protocol", l.protocol().name().toLowerCase(Locale.ROOT));
                if (l.upstream() != null) {
                    n.put("upstream", l.upstream());
                }
                n.put("routes", l.routes().size());
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.set("listeners", list);
        return root;
    }

    static JsonNode routes(AdminApi api) {
        ArrayNode list = JSON.createArrayNode();
        SluiceConfig c = api.config.get();
        if (c != null) {
            for (ListenerConfig l : c.listeners()) {
                for (RouteConfig r : l.routes()) {
                    ObjectNode n = list.addObject();
                    n.put("listener", l.name());
                    n.put("name", r.name());
                    n.set("match", redactMatchValues(JSON.valueToTree(r.match())));
                    if (r.stripPrefix() != null) {
                        n.put("strip_prefix", r.stripPrefix());
                    }
                    n.put("action", r.upstream() != null ? "upstream" : !r.traffic().split().isEmpty() ? "split"
                            : r.respond() != null ? "respond" : "static");
                    if (r.upstream() != null) {
                        n.put("upstream", r.upstream());
                    }
                    if (!r.traffic().split().isEmpty()) {
                        ArrayNode sides = n.putArray("split");
                        for (io.sluice.config.RouteTraffic.SplitSide side : r.traffic().split()) {
                            sides.addObject().put("upstream", side.upstream()).put("weight", side.weight());
                        }
                        if (r.traffic().splitOn() != null) {
                            n.put("split_on", r.traffic().splitOn());
                        }
                    }
                    if (r.traffic().mirror() != null) {
                        n.putObject("mirror").put("upstream", r.traffic().mirror().upstream())
                                .put("percent", r.traffic().mirror().share() * 100);
                    }
                }
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.set("routes", list);
        return root;
    }

    /**
     * A match's header, cookie and query values hidden as /api/config hides them (an API key or session a
     * route matches on is a credential); the names stay so the route is still recognisable.
     */
    private static JsonNode redactMatchValues(JsonNode match) {
        for (String field : List.of("headers", "cookies", "query")) {
            if (match.get(field) instanceof ObjectNode values) {
                List<String> names = new ArrayList<>();
                values.fieldNames().forEachRemaining(names::add);
                names.forEach(name -> values.put(name, REDACTED));
            }
        }
        return match;
    }

    static byte[] bytes(JsonNode node) throws IOException {
        return JSON.writeValueAsBytes(node);
    }

    private static <T> StdSerializer<T> toStringSerializer(Class<T> type, java.util.function.Function<T, String> f) {
        return new StdSerializer<>(type) {
            @Override
            public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                gen.writeString(f.apply(value));
            }
        };
    }
}
