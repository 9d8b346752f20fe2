package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * {@code /api/config} when the proxy runs from a file: the configuration in force in the file's own keys
 * (the text it was loaded from, parsed again as YAML, so every key another feature adds shows up as
 * written), with the secrets taken out:
 * <ul>
 *   <li>values under a key naming a secret ({@code token}, {@code password}, {@code secret}, {@code key}
 *       except a certificate's key file, ...);</li>
 *   <li>header values the configuration sets or matches ({@code *_headers.set}, {@code match.headers},
 *       {@code match.cookies}, {@code match.query}, {@code respond.headers}): the names stay;</li>
 *   <li>every value that takes something from the environment ({@code ${NAME}}): the variables are named,
 *       their values never shown;</li>
 *   <li>the user information of URLs ({@code https://user:password@host}).</li>
 * </ul>
 * Built anew on each request, off the hot path.
 */
final class ConfigView {
    static final String REDACTED = ApiDocuments.REDACTED;
    private static final Pattern SECRET = Pattern.compile("key|password|passwd|secret|token|authorization|cookie|credential");
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?}");
    private static final Pattern URL_USERINFO = Pattern.compile("(?<=://)[^/?#@\\s]*@");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigView() {
    }

    static JsonNode of(String yaml) {
        Object loaded = new Load(LoadSettings.builder().setSchema(new CoreSchema()).build()).loadFromString(yaml);
        JsonNode tree = loaded == null ? JSON.createObjectNode() : JSON.valueToTree(stringKeys(loaded));
        return redact(tree, "", "");
    }

    /** YAML keys may be numbers or booleans; JSON's are strings. */
    private static Object stringKeys(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), stringKeys(v)));
            return out;
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(v -> out.add(stringKeys(v)));
            return out;
        }
        return o;
    }

    /** {@code key}: the key this node is under; {@code parent}: the key its mapping is under. */
    private static JsonNode redact(JsonNode node, String key, String parent) {
        if (node instanceof ObjectNode obj) {
            boolean valuesSecret = (key.equals("set") && parent.endsWith("_headers"))
                    || (parent.equals("match") && (key.equals("headers") || key.equals("cookies") || key.equals("query")))
                    || (parent.equals("respond") && key.equals("headers"));
            Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
            List<String> names = new ArrayList<>();
            it.forEachRemaining(e -> names.add(e.getKey()));
            for (String name : names) {
                JsonNode value = obj.get(name);
                if (valuesSecret || namesSecret(name, key) && !value.isNull()) {
                    obj.set(name, TextNode.valueOf(REDACTED));
                } else {
                    obj.set(name, redact(value, name, key));
                }
            }
            return obj;
        }
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, redact(array.get(i), key, parent));
            }
            return array;
        }
        if (node.isTextual()) {
            String text = node.asText();
            var env = ENV.matcher(text);
            if (env.find()) {
                List<String> vars = new ArrayList<>();
                do {
                    vars.add("${" + env.group(1) + "}");
                } while (env.find());
                return TextNode.valueOf(REDACTED + " (from " + String.join(", ", vars) + ")");
            }
            String masked = URL_USERINFO.matcher(text).replaceAll(REDACTED + "@");
            return masked.equals(text) ? node : TextNode.valueOf(masked);
        }
        return node;
    }

    /**
     * A key whose value is a secret. Not a certificate's {@code key} (a file path that says where the key
     * is) nor a {@code token_file}, and not the names of keys that hold no secret ({@code hash_key}...).
     */
    private static boolean namesSecret(String name, String parent) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("key") && parent.equals("certificates")) {
            return false;
        }
        if (n.endsWith("_file")) {
            return false; // a path: where the secret is, not what it is
        }
        return SECRET.matcher(n).find();
    }
}
