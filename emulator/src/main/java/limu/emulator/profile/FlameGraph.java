// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.profile;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A flame graph drawn as SVG: each frame a box as wide as its share of all samples, its callees stacked on top
 * of it in name order, roots (the CPUs) at the bottom. Hovering a box shows the function, its samples and their
 * share (an SVG {@code title}, which browsers show as a tooltip); no script is needed.
 */
final class FlameGraph {
    static final int WIDTH = 1200;
    static final int FRAME_HEIGHT = 16;
    private static final int MARGIN = 10;
    private static final int TITLE_HEIGHT = 30;
    private static final double CHAR_WIDTH = 7.0;   // of the 12px monospace font, for trimming labels

    /** A frame in the merged call tree: samples that passed through it, its callees by name. */
    private static final class Node {
        final String name;
        long samples;
        final TreeMap<String, Node> children = new TreeMap<>();

        Node(String name) {
            this.name = name;
        }

        int depth() {
            int d = 0;
            for (Node c : children.values()) {
                d = Math.max(d, c.depth());
            }
            return d + 1;
        }
    }

    private FlameGraph() {
    }

    static String svg(String title, Profile profile) {
        Node root = new Node("all");
        for (int cpu : profile.cpus()) {
            for (Map.Entry<String, Long> e : profile.stacks(cpu).entrySet()) {
                root.samples += e.getValue();
                Node n = root;
                for (String frame : e.getKey().split(";")) {
                    n = n.children.computeIfAbsent(frame, Node::new);
                    n.samples += e.getValue();
                }
            }
        }
        int levels = root.depth();
        int height = TITLE_HEIGHT + levels * FRAME_HEIGHT + 2 * MARGIN;
        StringBuilder b = new StringBuilder();
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
        b.append("<style>g.f:hover rect{stroke:#000;stroke-width:1}</style>\n");
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#f8f8f0\"/>%n", WIDTH, height));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"16\" text-anchor=\"middle\">%s</text>%n",
                WIDTH / 2, escape(title + " (" + root.samples + " samples, one each "
                        + micros(profile.intervalNanos()) + " of virtual time)")));
        if (root.samples > 0) {
            double scale = (WIDTH - 2.0 * MARGIN) / root.samples;
            draw(b, root, root.samples, MARGIN, height - MARGIN - FRAME_HEIGHT, scale);
        }
        b.append("</svg>\n");
        return b.toString();
    }

    /** Draws the callees of {@code n} side by side from {@code x} on the row at {@code y}, theirs above them. */
    private static void draw(StringBuilder b, Node n, long total, double x, int y, double scale) {
        double cx = x;
        for (Node c : n.children.values()) {
            double w = c.samples * scale;
            box(b, c, total, cx, y, w);
            draw(b, c, total, cx, y - FRAME_HEIGHT, scale);
            cx += w;
        }
    }

    private static void box(StringBuilder b, Node n, long total, double x, int y, double w) {
        String tip = String.format(Locale.ROOT, "%s (%d samples, %.2f%%)", n.name, n.samples, 100.0 * n.samples / total);
        b.append("<g class=\"f\"><title>").append(escape(tip)).append("</title>");
        b.append(String.format(Locale.ROOT, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
                x, y, Math.max(w - 0.5, 0.1), FRAME_HEIGHT - 1, colour(n.name)));
        int fits = (int) ((w - 6) / CHAR_WIDTH);
        if (fits >= 3) {
            String label = n.name.length() <= fits ? n.name : n.name.substring(0, fits - 2) + "..";
            b.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%d\">%s</text>", x + 3, y + FRAME_HEIGHT - 4,
                    escape(label)));
        }
        b.append("</g>\n");
    }

    /** Warm colours from the name, so a function has the same colour everywhere and in every run. */
    private static String colour(String name) {
        if (name.equals(StackSampler.IDLE)) {
            return "#c8c8c8";
        }
        int h = name.hashCode();
        int r = 205 + Math.floorMod(h, 50);
        int g = 80 + Math.floorMod(h >>> 8, 130);
        int bl = 40 + Math.floorMod(h >>> 16, 50);
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, bl);
    }

    private static String micros(long nanos) {
        return nanos % 1000 == 0 ? nanos / 1000 + " us" : nanos + " ns";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
