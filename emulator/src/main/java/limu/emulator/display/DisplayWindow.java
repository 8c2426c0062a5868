// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.display;

import java.awt.AWTError;
import java.awt.Color;
import java.awt.Dimension;
import java.awt.Graphics;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
import java.awt.HeadlessException;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.event.FocusAdapter;
import java.awt.event.FocusEvent;
import java.awt.event.KeyAdapter;
import java.awt.event.KeyEvent;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.swing.JComponent;
import javax.swing.JFrame;
import javax.swing.SwingUtilities;
import javax.swing.WindowConstants;
import limu.devices.Ps2Key;
import limu.emulator.Framebuffer;
import limu.emulator.Machine;

/**
 * {@code --display window}: a desktop window showing the guest's framebuffer live and typing
 * into the guest's PS/2 keyboard. A timer thread reads the framebuffer's bytes at most 60 times
 * a second and redraws only when they differ from what is shown, so a still screen costs one
 * memory comparison a frame and the guest nothing (no hook on its stores). The picture is scaled
 * to fit the window with its aspect kept. The title names the kernel and the machine's state.
 * Closing the window stops the machine; Ctrl+Alt+S writes a screenshot instead of reaching the
 * guest.
 */
public final class DisplayWindow implements AutoCloseable {
    /** Redraws a second, at most. */
    static final int FRAMES_PER_SECOND = 60;

    /** No window can be opened here (no display server). */
    public static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    private final Machine machine;
    private final Framebuffer framebuffer;
    private final String kernelName;
    private final Runnable screenshot;
    private final JFrame frame;
    private final Screen screen;
    private final ScheduledExecutorService refresher;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Set<Ps2Key> held = EnumSet.noneOf(Ps2Key.class);
    private byte[] shown;
    private byte[] current;
    private volatile boolean closedByUser;
    private volatile String finalState;
    private int titleCountdown;

    /** Says why no window can open here, or nothing; call before booting. */
    public static void checkAvailable() throws Unavailable {
        if (GraphicsEnvironment.isHeadless()) {
            throw new Unavailable("--display window: no display server (DISPLAY is not set)");
        }
        try {
            GraphicsEnvironment.getLocalGraphicsEnvironment().getDefaultScreenDevice();
        } catch (AWTError | HeadlessException e) {
            throw new Unavailable("--display window: cannot reach the display server: " + e.getMessage());
        }
    }

    private DisplayWindow(Machine machine, Framebuffer framebuffer, String kernelName, Runnable screenshot) {
        this.machine = machine;
        this.framebuffer = framebuffer;
        this.kernelName = kernelName;
        this.screenshot = screenshot;
        this.shown = new byte[framebuffer.byteSize()];
        this.current = new byte[framebuffer.byteSize()];
        this.screen = new Screen(framebuffer.width(), framebuffer.height());
        this.frame = new JFrame(title());
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "limu-display");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens the window over {@code machine}'s framebuffer; {@code screenshot} runs (on the window's
     * thread) for Ctrl+Alt+S.
     */
    public static DisplayWindow open(Machine machine, String kernelName, Runnable screenshot) throws Unavailable {
        Framebuffer fb = machine.framebuffer().orElseThrow(() -> new Unavailable(
                "--display window needs a framebuffer (not --framebuffer none)"));
        DisplayWindow w = new DisplayWindow(machine, fb, kernelName, screenshot);
        try {
            SwingUtilities.invokeAndWait(w::show);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("--display window: interrupted while opening");
        } catch (InvocationTargetException e) {
            throw new Unavailable("--display window: cannot open a window: " + e.getCause().getMessage());
        }
        w.refresher.scheduleAtFixedRate(w::refresh, 0, 1000 / FRAMES_PER_SECOND, TimeUnit.MILLISECONDS);
        return w;
    }

    private void show() {
        frame.setDefaultCloseOperation(WindowConstants.DO_NOTHING_ON_CLOSE);
        frame.addWindowListener(new WindowAdapter() {
            @Override
            public void windowClosing(WindowEvent e) {
                closedByUser = true;
                machine.requestStop();
                closed.countDown();
            }
        });
        screen.setPreferredSize(fitting(framebuffer.width(), framebuffer.height(),
                GraphicsEnvironment.getLocalGraphicsEnvironment().getMaximumWindowBounds()));
        screen.setFocusable(true);
        // Tab and Shift+Tab belong to the guest, not to Swing's focus traversal
        screen.setFocusTraversalKeysEnabled(false);
        screen.addKeyListener(new KeyAdapter() {
            @Override
            public void keyPressed(KeyEvent e) {
                if (e.getKeyCode() == KeyEvent.VK_S && e.isControlDown() && e.isAltDown()) {
                    screenshot.run();
                    return;
                }
                HostKeys.ps2Key(e.getKeyCode(), e.getKeyLocation()).ifPresent(k -> {
                    if (held.add(k)) {  // the host's auto-repeat: the keyboard has no typematic
                        machine.pressKey(k);
                    }
                });
            }

            @Override
            public void keyReleased(KeyEvent e) {
                HostKeys.ps2Key(e.getKeyCode(), e.getKeyLocation()).ifPresent(k -> {
                    if (held.remove(k)) {
                        machine.releaseKey(k);
                    }
                });
            }
        });
        screen.addFocusListener(new FocusAdapter() {
            @Override
            public void focusLost(FocusEvent e) {
                // keys released elsewhere never reach us: let none stay down in the guest
                held.forEach(machine::releaseKey);
                held.clear();
            }
        });
        frame.add(screen);
        frame.pack();
        frame.setLocation(0, 0);
        frame.setVisible(true);
        screen.requestFocusInWindow();
    }

    /** The framebuffer's size, shrunk with its aspect kept to fit {@code bounds}. */
    static Dimension fitting(int width, int height, Rectangle bounds) {
        double scale = Math.min(1.0, Math.min(bounds.width / (double) width, bounds.height / (double) height));
        return new Dimension(Math.max(1, (int) (width * scale)), Math.max(1, (int) (height * scale)));
    }

    /** The timer's tick: redraw when the framebuffer changed; the title a few times a second. */
    private synchronized void refresh() {
        try {
            framebuffer.readRaw(current);
            if (!Arrays.equals(current, shown)) {
                SwingUtilities.invokeAndWait(() -> screen.load(framebuffer, current));
                byte[] t = shown;
                shown = current;
                current = t;
                screen.repaint();
            }
            if (--titleCountdown <= 0) {
                titleCountdown = FRAMES_PER_SECOND / 4;
                String t = title();
                SwingUtilities.invokeLater(() -> frame.setTitle(t));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (InvocationTargetException | RuntimeException e) {
            // a frame lost; the next tick tries again
        }
    }

    private String title() {
        String state = finalState;
        if (state == null) {
            boolean running = false;
            for (int i = 0; i < machine.cpuCount(); i++) {
                running |= machine.cpuState(i).equals("running");
            }
            state = running ? "running" : "halted";
        }
        int cpus = machine.cpuCount();
        return String.format(Locale.ROOT, "limu: %s - %s - %d CPU%s - %.3f s virtual", kernelName, state, cpus,
                cpus == 1 ? "" : "s", machine.virtualNanosSoFar() / 1e9);
    }

    /** The run is over: the title says {@code state} (e.g. "stopped, exit code 0") from now on. */
    public void stopped(String state) {
        finalState = state;
        String t = title();
        SwingUtilities.invokeLater(() -> frame.setTitle(t));
        refresh();
    }

    /** True once the user closed the window. */
    public boolean closedByUser() {
        return closedByUser;
    }

    /** Waits until the user closes the window. */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        try {
            refresher.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        SwingUtilities.invokeLater(frame::dispose);
    }

    /** The picture: the last framebuffer contents, scaled to fit, centred on black. */
    private static final class Screen extends JComponent {
        private final BufferedImage image;
        private final int[] pixels;

        Screen(int width, int height) {
            image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            pixels = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        }

        /** Copies {@code raw} framebuffer bytes into the picture (on the event thread). */
        void load(Framebuffer fb, byte[] raw) {
            for (int y = 0; y < fb.height(); y++) {
                fb.rowToRgb(raw, y, pixels, y * fb.width());
            }
        }

        @Override
        protected void paintComponent(Graphics g) {
            Graphics2D g2 = (Graphics2D) g;
            g2.setColor(Color.BLACK);
            g2.fillRect(0, 0, getWidth(), getHeight());
            Rectangle r = placement(image.getWidth(), image.getHeight(), getWidth(), getHeight());
            g2.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g2.drawImage(image, r.x, r.y, r.width, r.height, null);
        }
    }

    /** Where a {@code w} x {@code h} picture goes in a {@code width} x {@code height} area: scaled to fit, centred. */
    static Rectangle placement(int w, int h, int width, int height) {
        double scale = Math.min(width / (double) w, height / (double) h);
        int sw = (int) Math.round(w * scale);
        int sh = (int) Math.round(h * scale);
        return new Rectangle((width - sw) / 2, (height - sh) / 2, sw, sh);
    }
}
