// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import java.util.List;
import java.util.function.LongFunction;

/**
 * What ended in a triple fault: the exceptions in the order the CPU met them
 * (each with its error code, the RIP it was raised at, CR2 for a page fault,
 * and why delivering it failed), and the registers at the first one.
 */
public record ExceptionChain(int cpu, List<Link> links, String registers) {
    /** One exception of the chain; {@code errorCode} -1 when the vector has none, {@code cr2} -1 unless #PF. */
    public record Link(int vector, int errorCode, long rip, long cr2, String whyDeliveryFailed) {
        String describe(LongFunction<String> symbols) {
            StringBuilder b = new StringBuilder(Vectors.describe(vector));
            b.append(String.format(" at 0x%016x%s", rip, symbols.apply(rip)));
            if (cr2 != -1) {
                b.append(String.format(", CR2=0x%016x", cr2));
            }
            if (errorCode >= 0) {
                b.append(String.format(", error code 0x%x%s", errorCode, errorCodeMeaning()));
            }
            return b.toString();
        }

        private String errorCodeMeaning() {
            if (vector == Vectors.PF) {
                return String.format(" (%s, %s, %s%s%s)", (errorCode & 1) != 0 ? "protection" : "not present",
                        (errorCode & 0x10) != 0 ? "fetch" : (errorCode & 2) != 0 ? "write" : "read",
                        (errorCode & 4) != 0 ? "user" : "supervisor", (errorCode & 8) != 0 ? ", reserved bit" : "",
                        "");
            }
            if (errorCode == 0 || vector == Vectors.DF) {
                return "";
            }
            String table = (errorCode & 2) != 0 ? "IDT" : (errorCode & 4) != 0 ? "LDT" : "GDT";
            int index = (errorCode & 2) != 0 ? (errorCode >>> 3) : errorCode & 0xfff8;
            return String.format(" (%s %s 0x%x%s)", table, (errorCode & 2) != 0 ? "vector" : "selector", index,
                    (errorCode & 1) != 0 ? ", external" : "");
        }
    }

    /** One line: "CPU 0: triple fault after unhandled #PF page fault (vector 14) at ... -> #GP -> #DF -> #GP". */
    public String summary(LongFunction<String> symbols) {
        StringBuilder b = new StringBuilder(String.format("CPU %d: triple fault after unhandled %s", cpu,
                links.get(0).describe(symbols)));
        b.append(" (");
        for (int i = 0; i < links.size(); i++) {
            b.append(i == 0 ? "" : " -> ").append(Vectors.mnemonic(links.get(i).vector()));
        }
        return b.append(" -> shutdown)").toString();
    }

    /** The chain, one exception a line with why it could not be delivered, then the registers. */
    public String report(LongFunction<String> symbols) {
        StringBuilder b = new StringBuilder("exceptions, in the order the CPU raised them:\n");
        for (int i = 0; i < links.size(); i++) {
            Link l = links.get(i);
            b.append(String.format("  %d. %s%n     not delivered: %s%n", i + 1, l.describe(symbols),
                    l.whyDeliveryFailed()));
        }
        b.append("registers at the first exception:\n").append(registers);
        return b.toString();
    }
}
