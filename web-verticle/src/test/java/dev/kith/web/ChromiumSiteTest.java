package dev.kith.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.mesh.testing.DebianPackages;
import dev.kith.mesh.testing.DeviceProcess;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's Chromium, headless, driven by Selenium through Debian's chromedriver (never a downloaded
 * browser), loads a published site with a style sheet, a script, images and a font through a
 * device's address: every part loads, and the console shows no error. The browser resolves only the
 * site's name, to loopback; every other name fails, so it reaches nothing else. The screenshot is
 * kept in {@code target/web-screenshots/}.
 */
class ChromiumSiteTest {

  static final String HOST = "pages.example";
  private static final Path CHROMIUM = DebianTools.CHROMIUM;
  private static final Path DRIVER = DebianTools.CHROMEDRIVER;
  private static final Path FONT = DebianTools.FONT;

  private DeviceProcess device;
  private ChromeDriver browser;

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (device != null) {
      device.close();
    }
  }

  @Test
  @DisplayName(
      "Chromium loads a site with CSS, a script, images and a font with no failed request and no console error")
  @SuppressWarnings("unchecked")
  void chromiumLoadsTheSite(@TempDir Path profile) throws Exception {
    DebianPackages.require(CHROMIUM, "chromium");
    DebianPackages.require(DRIVER, "chromium-driver");
    DebianPackages.require(FONT, "fonts-dejavu-core");
    device = DeviceProcess.builder("laptop.alice").start().awaitReady(Duration.ofSeconds(60));
    WebTesting.publish(device, "alice", "alice", site(), List.of(HOST));

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toString());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--window-size=1024,768",
        "--user-data-dir=" + profile,
        "--host-resolver-rules=MAP " + HOST + " 127.0.0.1, MAP * ~NOTFOUND");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));

    browser.get("http://" + HOST + ":" + device.httpPort() + "/");
    JavascriptExecutor js = browser;
    Object state =
        js.executeAsyncScript(
            "const done = arguments[arguments.length - 1];"
                + "document.fonts.ready.then(() => done({"
                + " script: window.siteScriptRan === true,"
                + " color: getComputedStyle(document.querySelector('h1')).color,"
                + " images: Array.from(document.images).map(i => i.complete && i.naturalWidth > 0),"
                + " font: document.fonts.check('16px SiteFont'),"
                + " failed: performance.getEntriesByType('resource')"
                + "   .filter(r => r.responseStatus && r.responseStatus >= 400).map(r => r.name)"
                + "}));");
    Map<?, ?> result = (Map<?, ?>) state;
    byte[] png = browser.getScreenshotAs(OutputType.BYTES);
    Path out = Path.of("target", "web-screenshots");
    Files.createDirectories(out);
    Files.write(out.resolve("site.png"), png);

    assertThat(result.get("script")).as("the script ran").isEqualTo(true);
    assertThat(result.get("color")).as("the style sheet applied").isEqualTo("rgb(10, 110, 60)");
    assertThat((List<Object>) result.get("images")).as("images loaded").containsExactly(true, true);
    assertThat(result.get("font")).as("the font loaded").isEqualTo(true);
    assertThat((List<?>) result.get("failed")).as("failed requests").isEmpty();
    List<LogEntry> errors =
        browser.manage().logs().get(LogType.BROWSER).getAll().stream()
            .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
            .toList();
    assertThat(errors).as("console errors").isEmpty();
    assertThat(browser.getTitle()).isEqualTo("Alice's pages");
  }

  private static Map<String, byte[]> site() throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(
        "index.html",
        ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Alice's pages</title>"
                + "<link rel=stylesheet href=css/site.css><link rel=icon href=img/icon.png>"
                + "</head><body><h1>Hello from Alice's devices</h1>"
                + "<p class=f>Served by every device of the mesh.</p>"
                + "<img src=img/photo.png alt=photo><img src=/img/icon.png alt=icon>"
                + "<script src=js/site.js></script></body></html>")
            .getBytes(StandardCharsets.UTF_8));
    files.put(
        "css/site.css",
        ("@font-face { font-family: SiteFont; src: url(../fonts/site.ttf) format('truetype'); }\n"
                + "h1 { color: rgb(10, 110, 60); font-family: SiteFont, sans-serif; }\n"
                + ".f { font-family: SiteFont; }\n")
            .getBytes(StandardCharsets.UTF_8));
    files.put(
        "js/site.js",
        "window.siteScriptRan = true; document.title = document.title;\n"
            .getBytes(StandardCharsets.UTF_8));
    files.put("img/photo.png", png(320, 200, new Color(200, 120, 40)));
    files.put("img/icon.png", png(32, 32, new Color(10, 110, 60)));
    files.put("fonts/site.ttf", Files.readAllBytes(FONT));
    return files;
  }

  private static byte[] png(int w, int h, Color color) throws Exception {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(color);
    g.fillRect(0, 0, w, h);
    g.setColor(Color.WHITE);
    g.drawString("Kith", 4, h / 2);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
