package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page in a real headless Chromium (Debian's chromium and chromium-driver; skipped when they
 * are not installed): it shows what {@code /api/upstreams} says and follows live traffic. Saves
 * screenshots to target/ (desktop and phone width).
 */
class StatusPageBrowserTest {
    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

    private static final String YAML = """
            listeners:
              - name: web
                address: 127.0.0.1:0
                routes:
                  - name: app
                    match: { path_prefix: / }
                    upstream: app
            upstreams:
              app:
                balancer: weighted_round_robin
                endpoints:
                  - { address: "${UP1}", weight: 3 }
                  - { address: "${UP2}" }
            admin:
              address: 127.0.0.1:0
            """;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private WebDriver startBrowser(Path profile) {
        // Both paths explicit: Selenium Manager has nothing to find and downloads nothing.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.getPath());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,900");
        return new ChromeDriver(service, options);
    }

    private JsonNode api(SluiceUnderTest sluice) throws Exception {
        return ObservabilityTest.json(client.send(HttpRequest.newBuilder(sluice.adminUri("/api/upstreams")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private void traffic(SluiceUnderTest sluice, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            client.send(HttpRequest.newBuilder(sluice.uri("web", "/x" + i)).build(), HttpResponse.BodyHandlers.discarding());
        }
    }

    private static String cell(WebDriver driver, String address, String field) {
        return text(driver, "table[data-upstream='app'] tr[data-endpoint='" + address + "'] td[data-field='" + field + "']");
    }

    /**
     * The text of the element {@code selector} finds, found and read in one step in the page: the page
     * re-renders every second, so an element found in one call may be gone by the next.
     */
    private static String text(WebDriver driver, String selector) {
        Object text = ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
                "const e = document.querySelector(arguments[0]); return e === null ? null : e.innerText;", selector);
        if (text == null) {
            throw new org.openqa.selenium.NoSuchElementException(selector);
        }
        return text.toString().trim();
    }

    /** Waits until the page shows for every endpoint exactly what /api/upstreams says now. */
    private void assertPageMatchesApi(WebDriver driver, SluiceUnderTest sluice) {
        new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> {
            try {
                for (JsonNode e : api(sluice).get("upstreams").get(0).get("endpoints")) {
                    String address = e.get("address").asText();
                    if (!cell(d, address, "requests_total").equals(e.get("requests_total").asText())
                            || !cell(d, address, "in_flight").equals(e.get("in_flight").asText())
                            || !cell(d, address, "state").equals(e.get("state").asText())
                            || !cell(d, address, "weight").equals(e.get("weight").asText())) {
                        return false;
                    }
                }
                return true;
            } catch (org.openqa.selenium.NoSuchElementException | org.openqa.selenium.StaleElementReferenceException ex) {
                return false;
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
    }

    @Test
    void pageShowsLiveNumbersFromTheApi() throws Exception {
        assumeTrue(CHROMIUM.canExecute() && CHROMEDRIVER.canExecute(),
                "needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)");
        Path profile = Files.createTempDirectory("sluice-chromium");
        try (TestUpstream a = TestUpstream.start("a");
             TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(a, b))) {
            traffic(sluice, 8);
            WebDriver driver = startBrowser(profile);
            // Background traffic: 3 requests every 100 ms while the page is watched.
            java.util.concurrent.ScheduledExecutorService background =
                    java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "page-traffic"));
            Runnable tick = () -> {
                try {
                    traffic(sluice, 3);
                } catch (Exception e) {
                    // the proxy stopped: the test is over
                }
            };
            try {
                driver.get(sluice.adminUri("/").toString());
                assertThat(driver.getTitle()).isEqualTo("Sluice status");
                assertPageMatchesApi(driver, sluice);
                String before = cell(driver, a.address(), "requests_total");
                assertThat(Long.parseLong(before)).isEqualTo(6); // 3:1 weights, 8 requests

                background.scheduleAtFixedRate(tick, 0, 100, TimeUnit.MILLISECONDS);
                // Live: without reloading, the number moves with the traffic.
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .until(d -> Long.parseLong(cell(d, a.address(), "requests_total")) > 6 + 10);
                assertThat(Double.parseDouble(cell(driver, a.address(), "rps"))).isPositive();
                assertThat(cell(driver, a.address(), "p50_ms")).endsWith("ms");
                background.shutdown();
                assertThat(background.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
                assertPageMatchesApi(driver, sluice);

                // Listeners and routes, and the version line.
                assertThat(text(driver, "#listeners")).contains("web", "127.0.0.1");
                assertThat(text(driver, "#routes")).contains("app", "→ app");
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .until(d -> text(d, "#meta").startsWith("version "));

                // Drain from the page: the admin API takes the endpoint out, the next push shows it.
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                        .until(d -> {
                            d.findElement(By.cssSelector("tr[data-endpoint='" + b.address() + "'] button")).click();
                            return true;
                        });
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .until(d -> text(d, "#message").startsWith("drain app " + b.address()));
                assertThat(text(driver, "#message")).isEqualTo("drain app " + b.address() + ": done");
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .until(d -> cell(d, b.address(), "state").equals("draining"));

                save(driver, "status-page.png");
                driver.manage().window().setSize(new Dimension(390, 844));
                new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> (Long) ((org.openqa.selenium.JavascriptExecutor) d)
                        .executeScript("return window.innerWidth;") <= 390L);
                save(driver, "status-page-phone.png");
                // Readable on a phone: nothing forces the page wider than the screen.
                Long width = (Long) ((org.openqa.selenium.JavascriptExecutor) driver)
                        .executeScript("return document.documentElement.scrollWidth;");
                Long viewport = (Long) ((org.openqa.selenium.JavascriptExecutor) driver)
                        .executeScript("return window.innerWidth;");
                assertThat(width).isLessThanOrEqualTo(viewport);
            } finally {
                background.shutdownNow();
                driver.quit();
            }
        }
    }

    /** Clicks the button of {@code address}'s row (the rows are redrawn every second: retried until a click lands). */
    private static void click(WebDriver driver, String address) {
        new WebDriverWait(driver, Duration.ofSeconds(60))
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(d -> {
                    d.findElement(By.cssSelector("tr[data-endpoint='" + address + "'] button")).click();
                    return true;
                });
    }

    @Test
    void withATokenTheButtonsAskForItOnceAndTheCircuitStateIsShown() throws Exception {
        assumeTrue(CHROMIUM.canExecute() && CHROMEDRIVER.canExecute(),
                "needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)");
        Path profile = Files.createTempDirectory("sluice-chromium");
        String yaml = YAML.replace("balancer: weighted_round_robin", "balancer: weighted_round_robin\n"
                + "    circuit_breaker: { min_requests: 1000 }").replace("admin:\n  address: 127.0.0.1:0\n",
                "admin:\n  address: 127.0.0.1:0\n  token: s3cret\n");
        try (TestUpstream a = TestUpstream.start("a");
             TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(a, b))) {
            WebDriver driver = startBrowser(profile);
            try {
                driver.get(sluice.adminUri("/").toString());
                assertThat(text(driver, "h2 .circuit")).isEqualTo("circuit closed"); // the server's first view
                new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> text(d, "#live").startsWith("live"));
                assertThat(text(driver, "h2 .circuit")).isEqualTo("circuit closed"); // and the script's

                // The first change asks for the token; a wrong one is refused and asked for again.
                click(driver, b.address());
                new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> d.findElement(By.id("token-input")).isDisplayed());
                assertThat(text(driver, "#message")).isEqualTo("changes need the admin token (admin.token)");
                driver.findElement(By.id("token-input")).sendKeys("wrong");
                driver.findElement(By.cssSelector("#token-form button[type='submit']")).click();
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .until(d -> text(d, "#message").equals("the admin token was refused; try again"));
                assertThat(cell(driver, b.address(), "state")).isEqualTo("healthy");
                driver.findElement(By.id("token-input")).sendKeys("s3cret");
                driver.findElement(By.cssSelector("#token-form button[type='submit']")).click();
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .until(d -> text(d, "#message").equals("drain app " + b.address() + ": done"));
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .until(d -> cell(d, b.address(), "state").equals("draining"));
                assertThat(driver.findElement(By.id("token-form")).isDisplayed()).isFalse();

                // The next change sends the kept token without asking.
                click(driver, b.address());
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .until(d -> text(d, "#message").equals("restore app " + b.address() + ": done"));
                assertThat(driver.findElement(By.id("token-form")).isDisplayed()).isFalse();
                new WebDriverWait(driver, Duration.ofSeconds(60))
                        .until(d -> cell(d, b.address(), "state").equals("healthy"));
            } finally {
                driver.quit();
            }
        }
    }

    private static void save(WebDriver driver, String name) throws Exception {
        File shot = ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", name);
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }
}
