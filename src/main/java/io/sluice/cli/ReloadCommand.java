package io.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.AdminConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.HostPort;
import io.sluice.config.SluiceConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sluice reload [FILE]}: asks a running proxy to reload its file through the admin API
 * ({@code POST /api/reload}) and prints the outcome: exit 0 when the new configuration is in force, 1 with
 * every error when it was refused or the proxy could not be reached. Works where SIGHUP does not (under
 * nohup, in a container, from another user).
 */
@Command(name = "reload", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Reload a running proxy through its admin API and print the result.",
                "The admin address and token come from FILE (its admin: block) unless --admin / --token-file "
                        + "or SLUICE_ADMIN_TOKEN give them; without either, 127.0.0.1:9901."})
final class ReloadCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", arity = "0..1", description = "the configuration file the proxy runs with")
    Path file;

    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "the admin address")
    String admin;

    @Option(names = "--token-file", paramLabel = "FILE", description = "a file holding the admin token")
    Path tokenFile;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60", description = "how long to wait (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        HostPort address = null;
        String token = System.getenv("SLUICE_ADMIN_TOKEN");
        if (file != null) {
            SluiceConfig config;
            try {
                config = ConfigLoader.load(file);
            } catch (ConfigException e) {
                Main.printErrors(e.errors());
                System.err.println("sluice reload: " + file + " is not valid; not reloading (the proxy would refuse it)");
                return 1;
            }
            AdminConfig a = config.admin();
            if (a == null && admin == null) {
                System.err.println("sluice reload: " + file + " has no admin: block; give --admin HOST:PORT");
                return 1;
            }
            if (a != null) {
                address = a.address();
                if (token == null) {
                    token = a.token();
                }
            }
        }
        if (admin != null) {
            address = io.sluice.config.Addresses.listen(admin);
        }
        if (address == null) {
            address = new HostPort("127.0.0.1", 9901);
        }
        if (tokenFile != null) {
            token = Files.readString(tokenFile).strip();
        }
        String host = address.host();
        if (host.equals("0.0.0.0")) {
            host = "127.0.0.1"; // a wildcard admin address is reached on loopback
        } else if (host.equals("::")) {
            host = "::1";
        }
        String authority = new HostPort(host, address.port()).toString();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + authority + "/api/reload"))
                .timeout(Duration.ofSeconds(timeoutSeconds))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response;
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("sluice reload: cannot reach the admin API at http://" + authority + "/: " + e);
            return 1;
        }
        String body = response.body();
        JsonNode last = null;
        if (response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
            last = new ObjectMapper().readTree(body).get("last_reload");
        }
        if (response.statusCode() == 200 && last != null && last.path("success").asBoolean()) {
            System.out.println("reloaded at " + last.path("at").asText());
            return 0;
        }
        if (last != null && last.has("errors")) {
            System.err.println("reload refused, the running configuration stays:");
            for (JsonNode error : last.get("errors")) {
                System.err.println(error.asText());
            }
        } else {
            System.err.println("sluice reload: " + response.statusCode() + " " + body.strip());
        }
        return 1;
    }
}
