// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --heap-picture FILE.png|svg}: each claimed span as a grid of cells (rows of {@value #COLS}
 * cells, each a fixed number of bytes), coloured by what the cell holds: live blocks by the call site
 * that allocated them (legend: the biggest sites), talc's free chunks, talc's metadata (the bins
 * array and chunk tags: the rest), with the span's addresses and a one-line summary.
 */
public final class HeapPicture {
    private static final int COLS = 256;
    private static final int CELL = 4;          // pixels
    private static final int MAX_ROWS = 256;
    private static final int MARGIN = 12;
    private static final int LEGEND_W = 430;
    private static final Color FREE = new Color(0xEE, 0xEE, 0xE4);
    private static final Color META = new Color(0x55, 0x55, 0x55);
    private static final Color OTHER_SITES = new Color(0x99, 0x99, 0xBB);
    private static final Color[] PALETTE = {
        new Color(0xE4, 0x1A, 0x1C), new Color(0x37, 0x7E, 0xB8), new Color(0x4D, 0xAF, 0x4A),
        new Color(0x98, 0x4E, 0xA3), new Color(0xFF, 0x7F, 0x00), new Color(0xA6, 0x56, 0x28),
        new Color(0xF7, 0x81, 0xBF), new Color(0x1B, 0x9E, 0x77), new Color(0xD9, 0x5F, 0x02),
        new Color(0x66, 0xA6, 0x1E),
    };

    private HeapPicture() {
    }

    private record Cell(Color colour) {
    }

    /** Per span: cell colours; plus the legend. */
    private record Layout(List<long[]> spans, List<Color[]> cells, List<Long> bytesPerCell,
                          Map<String, Color> legend, String summary) {
    }

    public static void write(HeapChecker checker, Path file) throws IOException {
        Layout l = layout(checker);
        if (file.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".svg")) {
            Files.writeString(file, svg(l), StandardCharsets.UTF_8);
        } else {
            javax.imageio.ImageIO.write(png(l), "png", file.toFile());
        }
    }

    private static Layout layout(HeapChecker checker) {
        List<long[]> spans = checker.spans();
        List<TalcWalker.Gap> gaps = checker.freeChunks();
        Map<String, long[]> bySite = new LinkedHashMap<>();
        for (Block b : checker.liveBlockList()) {
            bySite.computeIfAbsent(checker.site(b.frames()), k -> new long[1])[0] += b.size();
        }
        Map<String, Color> legend = new LinkedHashMap<>();
        bySite.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
                .limit(PALETTE.length).forEach(en -> legend.put(en.getKey(), PALETTE[legend.size()]));
        List<Color[]> cells = new ArrayList<>();
        List<Long> perCell = new ArrayList<>();
        long liveBytes = 0, freeBytes = 0, largest = 0;
        List<long[]> regions = new ArrayList<>();
        for (long[] s : spans) {
            regions.add(s);
            long used = s[0] + 0x410;   // talc's bins, then the live blocks
            for (Block b : checker.liveBlockList()) {
                if (b.ptr() >= s[0] && b.ptr() < s[1]) {
                    used = Math.max(used, b.end());
                }
            }
            long zoomEnd = Math.min(s[1], (used + 4095) & ~4095L);
            if (zoomEnd - s[0] < (s[1] - s[0]) / 4) {
                regions.add(new long[] {s[0], zoomEnd, 1});   // a zoom on the used start of the span
            }
        }
        for (long[] s : regions) {
            long len = s[1] - s[0];
            long bpc = 16;
            while (len / bpc > (long) COLS * MAX_ROWS) {
                bpc *= 2;
            }
            int n = (int) ((len + bpc - 1) / bpc);
            Color[] c = new Color[n];
            // paint by the majority of bytes: accumulate per cell
            long[] live = new long[n], free = new long[n];
            Color[] liveColour = new Color[n];
            for (Block b : checker.liveBlockList()) {
                if (b.ptr() < s[0] || b.ptr() >= s[1]) {
                    continue;
                }
                Color col = legend.getOrDefault(checker.site(b.frames()), OTHER_SITES);
                liveBytes += s.length == 2 ? b.size() : 0;
                paint(s[0], bpc, n, b.ptr(), b.size(), live, liveColour, col);
            }
            if (gaps != null) {
                for (TalcWalker.Gap g : gaps) {
                    if (g.base() >= s[0] && g.base() < s[1]) {
                        freeBytes += s.length == 2 ? g.size() : 0;
                        largest = Math.max(largest, g.size());
                        paint(s[0], bpc, n, g.base(), g.size(), free, null, null);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                long rest = bpc - live[i] - free[i];
                c[i] = live[i] >= free[i] && live[i] >= rest && live[i] > 0 ? liveColour[i]
                        : free[i] >= rest ? FREE : gaps == null ? FREE : META;
            }
            cells.add(c);
            perCell.add(bpc);
        }
        String summary = String.format("%d live blocks, %d bytes live; %s", checker.liveBlockList().size(), liveBytes,
                gaps == null ? "free chunks unknown (talc metadata not readable)"
                        : String.format("%d free chunks, %d bytes free, largest free span %d bytes", gaps.size(),
                        freeBytes, largest));
        return new Layout(regions, cells, perCell, legend, summary);
    }

    private static void paint(long base, long bpc, int n, long ptr, long size, long[] acc, Color[] colour, Color col) {
        long end = ptr + Math.max(1, size);
        for (long a = ptr; a < end; ) {
            int i = (int) ((a - base) / bpc);
            if (i < 0 || i >= n) {
                break;
            }
            long cellEnd = base + (i + 1) * bpc;
            long take = Math.min(end, cellEnd) - a;
            acc[i] += take;
            if (colour != null) {
                colour[i] = col;
            }
            a += take;
        }
    }

    private static int rows(Color[] c) {
        return (c.length + COLS - 1) / COLS;
    }

    private static BufferedImage png(Layout l) {
        int gridW = COLS * CELL;
        int h = MARGIN + 24;
        for (Color[] c : l.cells) {
            h += 20 + rows(c) * CELL + MARGIN;
        }
        int legendH = MARGIN + 24 + 22 * (l.legend.size() + 3);
        h = Math.max(h, legendH);
        int w = MARGIN * 3 + gridW + LEGEND_W;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString("limu heap: " + l.summary, MARGIN, MARGIN + 12);
        g.setFont(new Font(Font.MONOSPACED, Font.PLAIN, 12));
        int y = MARGIN + 24;
        for (int k = 0; k < l.cells.size(); k++) {
            long[] s = l.spans.get(k);
            Color[] c = l.cells.get(k);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%s 0x%x-0x%x (%d KiB), one cell = %d bytes, %d per row",
                    s.length > 2 ? "zoom on the used start:" : "span", s[0], s[1],
                    (s[1] - s[0]) / 1024, l.bytesPerCell.get(k), l.bytesPerCell.get(k) * COLS), MARGIN, y + 13);
            y += 20;
            for (int i = 0; i < c.length; i++) {
                g.setColor(c[i]);
                g.fillRect(MARGIN + (i % COLS) * CELL, y + (i / COLS) * CELL, CELL, CELL);
            }
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1));
            g.drawRect(MARGIN - 1, y - 1, gridW + 1, rows(c) * CELL + 1);
            y += rows(c) * CELL + MARGIN;
        }
        int lx = MARGIN * 2 + gridW, ly = MARGIN + 24;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString("Legend (live blocks by call site)", lx, ly + 12);
        ly += 22;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        List<Map.Entry<String, Color>> items = new ArrayList<>(l.legend.entrySet());
        items.add(Map.entry("other call sites", OTHER_SITES));
        items.add(Map.entry("free (talc's free chunks)", FREE));
        items.add(Map.entry("talc metadata (bins, tags, padding)", META));
        for (Map.Entry<String, Color> en : items) {
            g.setColor(en.getValue());
            g.fillRect(lx, ly, 14, 14);
            g.setColor(Color.DARK_GRAY);
            g.drawRect(lx, ly, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(shorten(en.getKey(), 60), lx + 20, ly + 12);
            ly += 22;
        }
        g.dispose();
        return img;
    }

    private static String shorten(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    private static String hex(Color c) {
        return String.format("#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String svg(Layout l) {
        BufferedImage ref = png(l);   // same geometry
        StringBuilder b = new StringBuilder();
        b.append(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
                ref.getWidth(), ref.getHeight()));
        b.append(String.format("<text x=\"%d\" y=\"%d\" font-weight=\"bold\" font-size=\"14\">limu heap: %s</text>%n",
                MARGIN, MARGIN + 12, esc(l.summary)));
        int y = MARGIN + 24;
        for (int k = 0; k < l.cells.size(); k++) {
            long[] s = l.spans.get(k);
            Color[] c = l.cells.get(k);
            b.append(String.format("<text x=\"%d\" y=\"%d\" font-family=\"monospace\">span 0x%x-0x%x, one cell = %d"
                    + " bytes</text>%n", MARGIN, y + 13, s[0], s[1], l.bytesPerCell.get(k)));
            y += 20;
            // runs of equal colour per row
            for (int r = 0; r < rows(c); r++) {
                int i = r * COLS, end = Math.min(c.length, i + COLS);
                while (i < end) {
                    int j = i;
                    while (j < end && c[j].equals(c[i])) {
                        j++;
                    }
                    b.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n",
                            MARGIN + (i % COLS) * CELL, y + r * CELL, (j - i) * CELL, CELL, hex(c[i])));
                    i = j;
                }
            }
            y += rows(c) * CELL + MARGIN;
        }
        int lx = MARGIN * 2 + COLS * CELL, ly = MARGIN + 46;
        List<Map.Entry<String, Color>> items = new ArrayList<>(l.legend.entrySet());
        items.add(Map.entry("other call sites", OTHER_SITES));
        items.add(Map.entry("free (talc's free chunks)", FREE));
        items.add(Map.entry("talc metadata (bins, tags, padding)", META));
        for (Map.Entry<String, Color> en : items) {
            b.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\" stroke=\"#444\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", lx, ly, hex(en.getValue()), lx + 20, ly + 12,
                    esc(en.getKey())));
            ly += 22;
        }
        return b.append("</svg>\n").toString();
    }
}
