// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import limu.emulator.Debugger.Stop;
import limu.emulator.Machine;
import limu.emulator.unicorn.Engine;

/**
 * gdb's breakpoints and watchpoints ({@code Z}/{@code z} packets), set on every CPU. Breakpoints are
 * engine code hooks, never patched guest memory, so software (Z0) and hardware (Z1) ones behave the
 * same and are told apart only in the stop reply. Watchpoints are translated to physical pieces, one per
 * page, when they are set.
 */
final class Breakpoints {
    private final Machine machine;
    private final Map<Long, Integer> breakpoints = new TreeMap<>();   // address -> bit 0 software, bit 1 hardware
    private final List<Watch> watches = new ArrayList<>();

    /** A gdb watchpoint (Z2 write, Z3 read, Z4 access) and the physical pieces it covers. */
    private record Watch(int type, long address, int length, List<Engine.Watchpoint> pieces) {
    }

    Breakpoints(Machine machine) {
        this.machine = machine;
    }

    /**
     * Z/z {@code type,address,kind}: the reply. Watchpoint addresses are translated through
     * {@code translator}'s page tables.
     */
    String change(boolean insert, String args, Engine translator) {
        String[] a = args.split("[,;]");
        int type = (int) Rsp.number(a[0]);
        long address = Rsp.number(a[1]);
        long kind = Rsp.number(a[2]);
        if (type == 0 || type == 1) {
            return changeBreakpoint(insert, 1 << type, address);
        }
        if (type >= 2 && type <= 4) {
            return changeWatch(insert, type, address, kind, translator);
        }
        return "";
    }

    private String changeBreakpoint(boolean insert, int bit, long address) {
        int old = breakpoints.getOrDefault(address, 0);
        int now = insert ? old | bit : old & ~bit;
        if ((old == 0) != (now == 0)) {
            for (int i = 0; i < machine.cpuCount(); i++) {
                if (!machine.engine(i).setBreakpoint(address, now != 0) && insert) {
                    for (int j = 0; j < i; j++) {
                        machine.engine(j).setBreakpoint(address, false);
                    }
                    return "E28";
                }
            }
        }
        if (now == 0) {
            breakpoints.remove(address);
        } else {
            breakpoints.put(address, now);
        }
        return "OK";
    }

    private String changeWatch(boolean insert, int type, long address, long length, Engine translator) {
        if (length <= 0 || length > 4096) {
            return "E22";
        }
        if (!insert) {
            watches.removeIf(w -> w.type() == type && w.address() == address && w.length() == length);
            applyWatches();
            return "OK";
        }
        List<Engine.Watchpoint> pieces = new ArrayList<>();
        long at = address;
        long left = length;
        while (left > 0) {
            int n = (int) Math.min(left, 0x1000 - (at & 0xfff));
            long physical = translator.translate(at);
            if (physical < 0) {
                return "E14";
            }
            pieces.add(new Engine.Watchpoint(physical, n, type != 2, type != 3));
            at += n;
            left -= n;
        }
        Watch w = new Watch(type, address, (int) length, pieces);
        watches.add(w);
        if (!applyWatches()) {
            watches.remove(w);
            applyWatches();
            return "E28";
        }
        return "OK";
    }

    private boolean applyWatches() {
        List<Engine.Watchpoint> all = new ArrayList<>();
        watches.forEach(w -> all.addAll(w.pieces()));
        boolean ok = true;
        for (int i = 0; i < machine.cpuCount(); i++) {
            ok &= machine.engine(i).setWatchpoints(all);
        }
        return ok;
    }

    /** Removes every breakpoint and watchpoint from every CPU (the client left). */
    void clear() {
        for (long a : breakpoints.keySet()) {
            for (int i = 0; i < machine.cpuCount(); i++) {
                machine.engine(i).setBreakpoint(a, false);
            }
        }
        breakpoints.clear();
        watches.clear();
        applyWatches();
    }

    /** The stop reason's part of a T05 reply for a breakpoint or watchpoint stop ("swbreak:;", "watch:addr;"). */
    String reason(Stop s) {
        return switch (s.kind()) {
            case BREAKPOINT -> {
                Integer kind = breakpoints.get(s.address());
                yield kind != null && (kind & 1) == 0 ? "hwbreak:;" : "swbreak:;";
            }
            case WATCHPOINT -> {
                Watch w = watchOf((int) s.address());
                yield w == null ? "" : switch (w.type()) {
                    case 3 -> "rwatch:";
                    case 4 -> "awatch:";
                    default -> "watch:";
                } + Long.toHexString(w.address()) + ";";
            }
            default -> "";
        };
    }

    /** The watchpoint that owns the {@code pieceIndex}-th physical piece (the engine reports pieces). */
    private Watch watchOf(int pieceIndex) {
        int i = 0;
        for (Watch w : watches) {
            i += w.pieces().size();
            if (pieceIndex < i) {
                return w;
            }
        }
        return null;
    }
}
