// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --display window} with real parts: an Xvfb server, xdotool typing into the window
 * through XTEST, ImageMagick's {@code import} photographing the screen, and the keyboard kernel
 * reporting over serial the scancodes its IRQ 1 handler read.
 */
class DisplayWindowTest {
    /** The machine is shared and loaded: every wait is a bounded poll with room to spare. */
    static final long WAIT_MS = 90_000;
    static final int FB_W = 1280, FB_H = 800;

    @TempDir
    Path dir;

    @Test
    void withoutADisplayServerItSaysSoInOneLineAndExits2() throws Exception {
        List<String> cmd = Limu.command("", "run", Limu.kernel("keyboard-release.elf").toString(), "--display", "window");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Limu.HOME.toFile());
        pb.environment().remove("DISPLAY");
        pb.environment().remove("WAYLAND_DISPLAY");
        Process p = pb.start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "limu did not end");
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), err);
        assertEquals(List.of("limu: --display window: no display server (DISPLAY is not set)"), err.lines().toList());
        assertEquals("", out, "the kernel never ran");
    }

    @Test
    void keysTypedInTheWindowReachTheGuestAndTheWindowShowsItsFramebuffer() throws Exception {
        try (Display x = new Display()) {
            Map<String, String> env = x.env;
            Path shot = dir.resolve("screen.png");
            Window w = x.limu("--framebuffer", FB_W + "x" + FB_H, "--screenshot", shot.toString());
            Process limu = w.limu();
            Output serial = w.serial();
            Output errors = w.errors();
            assertTrue(limu.isAlive(), "limu ended early:\n" + serial.text() + errors.text());
            assertTrue(!serial.text().contains("FAIL"), serial.text());
            assertTrue(serial.text().endsWith("keyboard: ready\n"), "no byte before a key:\n" + serial.text());
            int[] geometry = x.focusWindow();

            // a letter, a digit and an extended key, each a make and a break
            typeAndExpect(env, serial, List.of("a"), "scancode 0x1e", "key A", "scancode 0x9e");
            typeAndExpect(env, serial, List.of("7"), "scancode 0x08", "key 7", "scancode 0x88");
            typeAndExpect(env, serial, List.of("Up"), "scancode 0xe0", "scancode 0x48", "scancode 0xe0",
                    "scancode 0xc8");

            // Ctrl+Alt+S writes screen-1.png beside --screenshot and reaches no guest as an S
            tool(env, "xdotool", "key", "ctrl+alt+s");
            Path numbered = dir.resolve("screen-1.png");
            waitFor("the screenshot key's PNG", () -> Files.isRegularFile(numbered) && errors.text()
                    .contains("framebuffer written to " + numbered));
            BufferedImage fb = ImageIO.read(numbered.toFile());
            assertEquals(FB_W, fb.getWidth());
            assertTrue(!serial.text().contains("key S"), "Ctrl+Alt+S reached the guest:\n" + serial.text());

            Path root = dir.resolve("root.png");
            String[] mismatch = new String[1];
            waitFor("the window to show the framebuffer", () -> {
                Tool t = tool(env, "import", "-window", "root", root.toString());
                if (t.exitCode != 0) {
                    return false;
                }
                try {
                    mismatch[0] = compare(fb, ImageIO.read(root.toFile()), geometry);
                } catch (IOException e) {
                    mismatch[0] = e.toString();
                }
                return mismatch[0] == null;
            });

            tool(env, "xdotool", "key", "Escape");
            assertTrue(limu.waitFor(WAIT_MS, TimeUnit.MILLISECONDS), "Escape did not end the run:\n" + serial.text());
            serial.join();
            errors.join();
            assertTrue(serial.text().contains("scancode 0x01\nkeyboard: escape"), serial.text());
            assertEquals(33, limu.exitValue(), serial.text() + errors.text());
        }
    }

    /**
     * Samples the framebuffer on a grid where a 9x9 neighbourhood is one colour (no edge the
     * scaling blurs) and compares with the screen where the window shows that point; null when
     * all agree within a small tolerance, else the first difference.
     */
    static String compare(BufferedImage fb, BufferedImage screen, int[] g) {
        double scale = Math.min(g[2] / (double) FB_W, g[3] / (double) FB_H);
        int sw = (int) Math.round(FB_W * scale);
        int sh = (int) Math.round(FB_H * scale);
        int ox = g[0] + (g[2] - sw) / 2;
        int oy = g[1] + (g[3] - sh) / 2;
        int compared = 0;
        for (int fy = 20; fy < FB_H - 20; fy += 37) {
            for (int fx = 20; fx < FB_W - 20; fx += 41) {
                int want = fb.getRGB(fx, fy) & 0xffffff;
                if (!uniform(fb, fx, fy, want)) {
                    continue;
                }
                int sx = ox + (int) ((fx + 0.5) * scale);
                int sy = oy + (int) ((fy + 0.5) * scale);
                int got = screen.getRGB(sx, sy) & 0xffffff;
                if (!close(want, got)) {
                    return String.format("framebuffer (%d, %d) = %06x, screen (%d, %d) = %06x", fx, fy, want, sx, sy,
                            got);
                }
                compared++;
            }
        }
        return compared >= 200 ? null : "only " + compared + " uniform samples";
    }

    private static boolean uniform(BufferedImage fb, int x, int y, int rgb) {
        for (int dy = -4; dy <= 4; dy++) {
            for (int dx = -4; dx <= 4; dx++) {
                if ((fb.getRGB(x + dx, y + dy) & 0xffffff) != rgb) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean close(int a, int b) {
        for (int shift = 0; shift < 24; shift += 8) {
            if (Math.abs((a >> shift & 0xff) - (b >> shift & 0xff)) > 8) {
                return false;
            }
        }
        return true;
    }

    private void typeAndExpect(Map<String, String> env, Output serial, List<String> keys, String... lines) {
        int from = serial.text().length();
        List<String> cmd = new ArrayList<>(List.of("xdotool", "key", "--delay", "50"));
        cmd.addAll(keys);
        Tool t = tool(env, cmd.toArray(String[]::new));
        assertEquals(0, t.exitCode, t.out);
        String expected = String.join("\n", lines) + "\n";
        waitFor("serial lines " + List.of(lines), () -> serial.text().substring(from).contains(expected));
        assertEquals(expected, serial.text().substring(from), "exactly the key's make and break codes");
    }

    @Test
    void keysTypedIntoTheWindowOfARecordedRunAreReplayedWithoutAWindow() throws Exception {
        try (Display x = new Display()) {
            Map<String, String> env = x.env;
            Path rec = dir.resolve("keys.rec");
            Window w = x.limu("--framebuffer", "640x400", "--record", rec.toString());
            Process limu = w.limu();
            Output serial = w.serial();
            Output errors = w.errors();
            x.focusWindow();
            typeAndExpect(env, serial, List.of("a"), "scancode 0x1e", "key A", "scancode 0x9e");
            typeAndExpect(env, serial, List.of("7"), "scancode 0x08", "key 7", "scancode 0x88");
            tool(env, "xdotool", "key", "Escape");
            assertTrue(limu.waitFor(WAIT_MS, TimeUnit.MILLISECONDS), "Escape did not end the run:\n" + serial.text());
            serial.join();
            errors.join();
            assertEquals(33, limu.exitValue(), serial.text() + errors.text());
            String recording = Files.readString(rec);
            for (String key : List.of("A+", "A-", "DIGIT_7+", "DIGIT_7-", "ESCAPE+")) {
                assertTrue(recording.matches("(?s).*\nin \\d+ \\d+ - [^\n]*\\b" + java.util.regex.Pattern.quote(key)
                        + ".*"), key + " recorded:\n" + recording);
            }

            Limu.Result replayed = Limu.run("replay", rec.toString());   // no window, no DISPLAY needed
            assertEquals(33, replayed.exitCode(), replayed.toString());
            assertEquals(serial.text(), replayed.stdout(), "the same scancodes, in the same order");
            assertTrue(replayed.stderr().contains("limu: replay: the same run as recorded: "), replayed.stderr());
        }
    }

    /** limu in a window on an Xvfb display, with its serial output and its messages as they come. */
    record Window(Process limu, Output serial, Output errors) {
    }

    /**
     * An Xvfb server on a free display, up and answering X requests once constructed; closing it ends the limu
     * started on it and then the server.
     */
    private final class Display implements AutoCloseable {
        /** The environment that points a client at this display. */
        final Map<String, String> env = new HashMap<>();
        private final Process xvfb;
        private Process limu;

        Display() throws IOException, InterruptedException {
            requireTools();
            int display = freeDisplay();
            xvfb = new ProcessBuilder("Xvfb", ":" + display, "-screen", "0", "1024x768x24", "-nolisten", "tcp")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("xvfb.log").toFile()).start();
            try {
                env.put("DISPLAY", ":" + display);
                waitFor("Xvfb on :" + display, () -> Files.exists(Path.of("/tmp/.X11-unix/X" + display))
                        && tool(env, "xdpyinfo").exitCode == 0 || !xvfb.isAlive());
                assertTrue(xvfb.isAlive(), "Xvfb ended: " + Files.readString(dir.resolve("xvfb.log")));
            } catch (Throwable e) {
                close();
                throw e;
            }
        }

        /**
         * {@code limu run keyboard-release.elf --display window OPTIONS... --timeout 240s} on this display, returned
         * once the kernel says it is ready (or limu ended).
         */
        Window limu(String... options) throws IOException {
            List<String> args = new ArrayList<>(List.of("run", Limu.kernel("keyboard-release.elf").toString(),
                    "--display", "window"));
            args.addAll(List.of(options));
            args.addAll(List.of("--timeout", "240s"));
            ProcessBuilder pb = new ProcessBuilder(Limu.command("", args.toArray(String[]::new))).directory(dir.toFile());
            pb.environment().putAll(env);
            Process running = pb.start();
            limu = running;
            running.getOutputStream().close();
            Output serial = new Output(running.getInputStream());
            Output errors = new Output(running.getErrorStream());
            waitFor("the kernel's 'keyboard: ready'", () -> serial.text().contains("keyboard: ready")
                    || !running.isAlive());
            return new Window(running, serial, errors);
        }

        /**
         * Finds limu's window and clicks into its middle: with no window manager a click gives the window the
         * keyboard focus, as on a desktop. Returns the window's X, Y, width and height.
         */
        int[] focusWindow() {
            String[] window = new String[1];
            waitFor("the window", () -> {
                Tool t = tool(env, "xdotool", "search", "--name", "^limu: keyboard-release.elf - ");
                window[0] = t.exitCode == 0 ? t.out.lines().findFirst().orElse(null) : null;
                return window[0] != null;
            });
            int[] geometry = geometry(env, window[0]);
            tool(env, "xdotool", "mousemove", "--sync", String.valueOf(geometry[0] + geometry[2] / 2),
                    String.valueOf(geometry[1] + geometry[3] / 2));
            tool(env, "xdotool", "click", "1");
            return geometry;
        }

        @Override
        public void close() throws InterruptedException {
            if (limu != null) {
                limu.destroyForcibly();
            }
            xvfb.destroy();
            xvfb.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** X, Y, width and height of the window, from xdotool. */
    private int[] geometry(Map<String, String> env, String window) {
        Tool t = tool(env, "xdotool", "getwindowgeometry", "--shell", window);
        Map<String, Integer> v = new HashMap<>();
        t.out.lines().filter(l -> l.contains("=")).forEach(l -> {
            String[] kv = l.split("=", 2);
            v.put(kv[0], Integer.parseInt(kv[1].trim()));
        });
        return new int[] {v.get("X"), v.get("Y"), v.get("WIDTH"), v.get("HEIGHT")};
    }

    private static void requireTools() {
        for (String t : List.of("Xvfb", "xdotool", "import", "xdpyinfo")) {
            if (!onPath(t)) {
                fail(t + " is missing: scripts/setup.sh installs xvfb, xdotool, imagemagick and x11-utils");
            }
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** A display number no X server uses. */
    private static int freeDisplay() {
        for (int n = 90 + (int) (ProcessHandle.current().pid() % 50); n < 400; n++) {
            if (!Files.exists(Path.of("/tmp/.X11-unix/X" + n)) && !Files.exists(Path.of("/tmp/.X" + n + "-lock"))) {
                return n;
            }
        }
        throw new AssertionError("no free X display number");
    }

    private static void waitFor(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + WAIT_MS * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    record Tool(int exitCode, String out) {
    }

    private static Tool tool(Map<String, String> env, String... cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            Output out = new Output(p.getInputStream());
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Tool(-1, "timed out");
            }
            out.join();
            return new Tool(p.exitValue(), out.text());
        } catch (IOException e) {
            return new Tool(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A process's output, collected as it comes. */
    static final class Output {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread reader;

        Output(InputStream in) {
            reader = new Thread(() -> {
                byte[] b = new byte[4096];
                try (in) {
                    for (int n; (n = in.read(b)) > 0; ) {
                        synchronized (bytes) {
                            bytes.write(b, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        String text() {
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }

        void join() throws InterruptedException {
            reader.join(10_000);
        }
    }
}
