// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.util.Locale;
import java.util.function.Supplier;
import limu.bootloader.MemoryMapEntry;
import limu.bootloader.ElfFile;
import limu.emulator.Backtrace;
import limu.emulator.Machine;
import limu.emulator.unicorn.DescriptorTable;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;

/** gdb's {@code monitor} commands ({@code qRcmd}): what only the emulator knows. */
final class Monitor {
    static final String HELP = """
            limu monitor commands:
              help            this list
              cpus            every CPU with its state and RIP
              bt              the selected CPU's backtrace: RIP, then return addresses found on its stack,
                              each with its chain of inlined calls
              where ADDR      the function, source line and inlined calls of a code address
              memmap          the memory map limu handed to the kernel
              walk ADDR       the page-table walk of a virtual address on the selected CPU
              gdt             the selected CPU's GDT
              idt             the selected CPU's IDT (present gates)
              lapic           the selected CPU's local APIC
              heap            the heap checker's summary
              serial [N]      COM1 output so far (the last N bytes, default 4096)
              when            where the run is: virtual time, blocks executed, slice (reverse debugging)
              snapshots       the reverse-debugging history's snapshots and their virtual times
              goto TIME       go back to virtual time TIME within the history (e.g. 2500000, 12ms, 300us);
                              then 'maintenance flush register-cache' so gdb rereads the registers
            """;

    private final Machine machine;
    private final Supplier<String> serial;
    private final LocalApicView lapic;

    Monitor(Machine machine, Supplier<String> serial, LocalApicView lapic) {
        this.machine = machine;
        this.serial = serial;
        this.lapic = lapic;
    }

    String run(String line, int cpu) {
        String[] w = line.trim().split("\\s+");
        Engine e = machine.engine(cpu);
        try {
            return switch (w[0].toLowerCase(Locale.ROOT)) {
                case "", "help" -> HELP;
                case "cpus" -> cpus();
                case "bt", "backtrace" -> backtrace(e, cpu);
                case "where" -> w.length < 2 ? "usage: where ADDR\n"
                        : Backtrace.frame(machine.plan().kernel(), "", 0, parse(w[1]), false);
                case "memmap", "mem" -> memmap();
                case "walk" -> w.length < 2 ? "usage: walk ADDR\n" : walk(e, parse(w[1]));
                case "gdt" -> gdt(e);
                case "idt" -> idt(e);
                case "lapic" -> lapic.describe(cpu).orElse("no local APIC model in this machine\n");
                case "heap" -> "heap checking is not enabled\n";
                case "when" -> machine.timeTravel().map(t -> t.when(cpu)).orElse(NO_HISTORY);
                case "snapshots" -> machine.timeTravel().map(t -> t.snapshots()).orElse(NO_HISTORY);
                case "goto" -> w.length < 2 ? "usage: goto TIME\n" : machine.timeTravel().map(t -> goTo(t, w[1]))
                        .orElse(NO_HISTORY);
                case "serial" -> {
                    machine.flushSerial();
                    yield tail(serial.get(), w.length < 2 ? 4096 : (int) parse(w[1]));
                }
                default -> "unknown monitor command '" + w[0] + "'; 'monitor help' lists them\n";
            };
        } catch (NumberFormatException e2) {
            return "not a number: " + e2.getMessage() + "\n";
        }
    }

    private static final String NO_HISTORY = "no reverse-debugging history (--gdb-history 0, or --time wall)\n";

    /** The stop the last {@code goto} made, for the next stop reply; null when none. */
    private limu.emulator.Debugger.Stop moved;

    limu.emulator.Debugger.Stop takeMoved() {
        limu.emulator.Debugger.Stop m = moved;
        moved = null;
        return m;
    }

    private String goTo(limu.emulator.TimeTravel t, String when) {
        long nanos;
        try {
            nanos = when.matches("\\d+") ? Long.parseLong(when) : limu.emulator.Durations.parse(when).toNanos();
        } catch (IllegalArgumentException e) {
            return e.getMessage() + "\n";
        }
        try {
            moved = t.goTo(nanos);
        } catch (limu.emulator.TimeTravel.Unavailable e) {
            return "goto: " + e.getMessage() + "\n";
        }
        return t.when(moved.cpu());
    }

    private static long parse(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        return t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseUnsignedLong(t);
    }

    private static String tail(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - Math.max(0, n));
    }

    private String cpus() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < machine.cpuCount(); i++) {
            long rip = machine.engine(i).read(Register.RIP);
            s.append(String.format("CPU %d %-8s rip=0x%016x%s%n", i, machine.cpuState(i), rip, symbol(rip)));
        }
        return s.toString();
    }

    private static final int MAX_FRAMES = 32;
    private static final int SCAN_BYTES = 8192;

    /**
     * RIP, then the words above RSP that point just after a CALL in the kernel's executable segments: without
     * frame pointers or unwind tables a scan is what is left, so a stale return address of an earlier call can
     * show up too.
     */
    private String backtrace(Engine e, int cpu) {
        ElfFile kernel = machine.plan().kernel();
        long rsp = e.read(Register.RSP);
        StringBuilder s = new StringBuilder(String.format("CPU %d backtrace (RIP, then a scan of the stack at"
                + " 0x%016x for return addresses):%n", cpu, rsp));
        s.append(Backtrace.frame(kernel, "", 0, e.read(Register.RIP), false));
        byte[] stack = new byte[SCAN_BYTES];
        if (!e.readVirtual(rsp, stack)) {
            stack = new byte[(int) (4096 - (rsp & 4095))];   // the stack's last mapped page
            if (!e.readVirtual(rsp, stack)) {
                return s.append("  (the stack at RSP is not mapped)\n").toString();
            }
        }
        int length = stack.length;
        int n = 1;
        for (int off = 0; off + 8 <= length && n < MAX_FRAMES; off += 8) {
            long word = Rsp.le(stack, off, 8);
            if (inCode(kernel, word) && followsCall(e, word)) {
                s.append(Backtrace.frame(kernel, "", n++, word, true));
            }
        }
        return s.toString();
    }

    private static boolean inCode(ElfFile kernel, long address) {
        for (ElfFile.Segment seg : kernel.segments()) {
            if (seg.isLoad() && seg.executable() && Long.compareUnsigned(address, seg.vaddr()) > 0
                    && Long.compareUnsigned(address, seg.vend()) <= 0) {
                return true;
            }
        }
        return false;
    }

    /** True if a CALL instruction ends at {@code address}: E8 rel32, or FF /2 in each ModRM form (SDM vol. 2, 2.1.5). */
    private static boolean followsCall(Engine e, long address) {
        byte[] b = new byte[7];
        if (!e.readVirtual(address - 7, b)) {
            return false;
        }
        if ((b[2] & 0xff) == 0xE8) {
            return true;
        }
        for (int length = 2; length <= 7; length++) {
            int at = 7 - length;
            if ((b[at] & 0xff) != 0xFF) {
                continue;
            }
            int modrm = b[at + 1] & 0xff;
            if (((modrm >> 3) & 7) == 2 && callLength(modrm, at + 2 < 7 ? b[at + 2] & 0xff : 0) == length) {
                return true;
            }
        }
        return false;
    }

    /** The length of {@code FF /2} with this ModRM (and SIB) byte. */
    private static int callLength(int modrm, int sib) {
        int mod = modrm >> 6;
        int rm = modrm & 7;
        return switch (mod) {
            case 3 -> 2;
            case 0 -> rm == 4 ? ((sib & 7) == 5 ? 7 : 3) : rm == 5 ? 6 : 2;
            case 1 -> rm == 4 ? 4 : 3;
            default -> rm == 4 ? 7 : 6;
        };
    }

    private String symbol(long address) {
        return machine.plan().kernel().symbolize(address).map(x -> " <" + x + ">").orElse("");
    }

    private String memmap() {
        StringBuilder s = new StringBuilder();
        for (MemoryMapEntry m : machine.plan().memoryMap()) {
            s.append(String.format("0x%016x-0x%016x %-10s %s%n", m.base(), m.base() + m.length(),
                    Sizes(m.length()), m.type()));
        }
        return s.toString();
    }

    private static String Sizes(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : bytes >= 1024 ? (bytes >> 10) + " KiB" : bytes + " B";
    }

    /** Walks the 4- or 5-level tables of CR3 (SDM vol. 3, 4.5), one line per level. */
    static String walk(Engine e, long linear) {
        StringBuilder s = new StringBuilder();
        long cr3 = e.read(Register.CR3);
        boolean five = (e.read(Register.CR4) & (1 << 12)) != 0;
        s.append(String.format("walk of 0x%016x, CR3=0x%x (%d-level)%n", linear, cr3, five ? 5 : 4));
        if ((e.read(Register.CR0) & (1L << 31)) == 0) {
            return s.append("paging is off: physical = linear\n").toString();
        }
        String[] names = {"PTE", "PDE", "PDPTE", "PML4E", "PML5E"};
        long table = cr3 & 0x000ffffffffff000L;
        byte[] eight = new byte[8];
        for (int level = five ? 5 : 4; level >= 1; level--) {
            int shift = 12 + 9 * (level - 1);
            int index = (int) ((linear >>> shift) & 0x1ff);
            long at = table + index * 8L;
            try {
                e.readPhysical(at, eight);
            } catch (RuntimeException ex) {
                return s.append(String.format("  %s table at 0x%x is not RAM%n", names[level - 1], table)).toString();
            }
            long entry = Rsp.le(eight, 0, 8);
            s.append(String.format("  %-5s [%3d] at 0x%010x = 0x%016x %s%n", names[level - 1], index, at, entry,
                    flags(entry)));
            if ((entry & 1) == 0) {
                return s.append("  not present: #PF on access\n").toString();
            }
            boolean large = (entry & 0x80) != 0 && (level == 2 || level == 3);
            if (large || level == 1) {
                long mask = (1L << shift) - 1;
                long physical = (entry & 0x000ffffffffff000L & ~mask) | (linear & mask);
                return s.append(String.format("  -> physical 0x%x (%s page)%n", physical,
                        level == 3 ? "1 GiB" : level == 2 ? "2 MiB" : "4 KiB")).toString();
            }
            table = entry & 0x000ffffffffff000L;
        }
        return s.toString();
    }

    private static String flags(long entry) {
        return ((entry & 1) != 0 ? "P" : "-") + ((entry & 2) != 0 ? " W" : " R") + ((entry & 4) != 0 ? " U" : " S")
                + ((entry & 0x20) != 0 ? " A" : "") + ((entry & 0x40) != 0 ? " D" : "")
                + ((entry & 0x80) != 0 ? " PS" : "") + ((entry & (1L << 63)) != 0 ? " NX" : "");
    }

    private static String gdt(Engine e) {
        DescriptorTable t = e.readGdtr();
        StringBuilder s = new StringBuilder(String.format("GDT at 0x%016x, limit 0x%x%n", t.base(), t.limit()));
        byte[] d = new byte[8];
        for (int off = 0; off + 7 <= t.limit(); off += 8) {
            if (!e.readVirtual(t.base() + off, d)) {
                return s.append(String.format("  0x%02x: not mapped%n", off)).toString();
            }
            long v = Rsp.le(d, 0, 8);
            if (v == 0) {
                s.append(String.format("  0x%02x: null%n", off));
                continue;
            }
            long base = ((v >>> 16) & 0xffffff) | ((v >>> 32) & 0xff000000L);
            long limit = (v & 0xffff) | ((v >>> 32) & 0xf0000);
            int access = (int) (v >>> 40) & 0xff;
            int flags = (int) (v >>> 52) & 0xf;
            boolean system = (access & 0x10) == 0;
            String kind = system ? systemType(access & 0xf)
                    : (access & 8) != 0 ? ((flags & 2) != 0 ? "code64" : (flags & 4) != 0 ? "code32" : "code16")
                    : "data";
            s.append(String.format("  0x%02x: %-10s base 0x%x limit 0x%x DPL %d %s%s%n", off, kind, base, limit,
                    (access >> 5) & 3, (access & 0x80) != 0 ? "present" : "NOT present",
                    (flags & 8) != 0 ? " 4K-granular" : ""));
            if (system && (access & 0xf) != 0 && (access & 0xf) != 2 && off + 15 <= t.limit()) {
                off += 8;                                      // a 16-byte system descriptor in long mode
            }
        }
        return s.toString();
    }

    private static String systemType(int type) {
        return switch (type) {
            case 2 -> "LDT";
            case 9 -> "TSS(avail)";
            case 11 -> "TSS(busy)";
            case 12 -> "call-gate";
            default -> "system" + type;
        };
    }

    private String idt(Engine e) {
        DescriptorTable t = e.readIdtr();
        StringBuilder s = new StringBuilder(String.format("IDT at 0x%016x, limit 0x%x%n", t.base(), t.limit()));
        byte[] g = new byte[16];
        int present = 0;
        for (int v = 0; v < 256 && v * 16 + 15 <= t.limit(); v++) {
            if (!e.readVirtual(t.base() + v * 16L, g)) {
                return s.append(String.format("  vector %d: not mapped%n", v)).toString();
            }
            long lo = Rsp.le(g, 0, 8), hi = Rsp.le(g, 8, 8);
            if (((lo >>> 47) & 1) == 0) {
                continue;
            }
            present++;
            long offset = (lo & 0xffff) | ((lo >>> 32) & 0xffff0000L) | (hi << 32);
            int type = (int) (lo >>> 40) & 0xf;
            s.append(String.format("  %3d: %s sel 0x%x ist %d dpl %d -> 0x%016x%s%n", v,
                    type == 0xe ? "int " : type == 0xf ? "trap" : "type" + type, (lo >>> 16) & 0xffff,
                    (lo >>> 32) & 7, (lo >>> 45) & 3, offset, symbol(offset)));
        }
        return s.append(present == 0 ? "  (no present gates)\n" : "").toString();
    }
}
