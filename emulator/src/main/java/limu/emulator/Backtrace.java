// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.List;
import java.util.Optional;
import limu.bootloader.DwarfInlines;
import limu.bootloader.DwarfLines;
import limu.bootloader.ElfFile;

/**
 * Backtrace frames with their chains of inlined calls, in the one format every limu report uses:
 * <pre>
 * #1 0xffffffff80001234 kernel::heap_bug+0x149 (library/core/src/ptr/mut_ptr.rs:1458 in core::ptr::write)
 *     inlined into &lt;*mut u8&gt;::add (library/core/src/ptr/mut_ptr.rs:900)
 *     inlined into kernel::heap_bug (kernel-images/heap-bugs/src/main.rs:42)
 * </pre>
 * The first line is the address, the symbol it lies in and the source line of the code there, followed by the
 * name of the innermost inlined function when the code is inlined; each {@code inlined into} line names the function
 * the code above was inlined into and the line of that call in it, outwards to the symbol's own function.
 */
public final class Backtrace {
    private Backtrace() {
    }

    /**
     * Frame {@code number} at {@code address}, one line per function of its inline chain, each ending in a newline;
     * every line starts with {@code indent}, the {@code inlined into} lines with four more spaces. A return address
     * ({@code returnAddress}) is looked up at {@code address - 1}, inside the call that pushed it, so that its lines
     * are the call's and not those of the code after it.
     */
    public static String frame(ElfFile kernel, String indent, int number, long address, boolean returnAddress) {
        StringBuilder b = new StringBuilder(String.format("%s#%d 0x%016x %s", indent, number, address,
                kernel.symbolize(address).orElse("?")));
        long code = returnAddress ? address - 1 : address;
        List<DwarfInlines.Frame> chain = kernel.inlines().at(code);
        appendPlace(b, chain, kernel.lines().at(code));
        b.append('\n');
        appendInlinedInto(b, indent + "    ", chain);
        return b.toString();
    }

    /**
     * {@code " <symbol+0x4f> (file:line)"} for {@code address}, or {@code ""} without a symbol: one line, with the
     * innermost inlined function named after the line when the code there is inlined.
     */
    static String symbol(ElfFile kernel, long address) {
        Optional<String> s = kernel.symbolize(address);
        if (s.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder(" <").append(s.get()).append('>');
        appendPlace(b, kernel.inlines().at(address), kernel.lines().at(address));
        return b.toString();
    }

    /** The {@code inlined into} lines of the code at {@code address}, each starting with {@code indent}. */
    static String inlinedInto(ElfFile kernel, String indent, long address) {
        StringBuilder b = new StringBuilder();
        appendInlinedInto(b, indent, kernel.inlines().at(address));
        return b.toString();
    }

    private static void appendPlace(StringBuilder b, List<DwarfInlines.Frame> chain,
                                    Optional<DwarfLines.SourceLine> line) {
        String inner = chain.size() > 1 ? " in " + chain.get(0).function() : "";
        if (line.isPresent()) {
            b.append(" (").append(line.get()).append(inner).append(')');
        } else if (!inner.isEmpty()) {
            b.append(" (").append(inner.substring(1)).append(')');
        }
    }

    private static void appendInlinedInto(StringBuilder b, String indent, List<DwarfInlines.Frame> chain) {
        for (int i = 1; i < chain.size(); i++) {
            DwarfInlines.Frame f = chain.get(i);
            b.append(indent).append("inlined into ").append(f.function());
            f.line().ifPresent(l -> b.append(" (").append(l).append(')'));
            b.append('\n');
        }
    }
}
