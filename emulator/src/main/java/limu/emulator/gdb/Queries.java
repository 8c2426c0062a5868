// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.nio.charset.StandardCharsets;
import limu.emulator.Machine;

/**
 * The {@code q}/{@code Q} packets: features (qSupported), the target description (qXfer target.xml),
 * threads (one per CPU) and {@code monitor} commands (qRcmd), whose output goes back as console
 * ({@code O}) packets before the final OK.
 */
final class Queries {
    /** Console output is cut into pieces of this many characters (twice as many hex digits a packet). */
    private static final int CONSOLE_CHUNK = 512;

    private final Machine machine;
    private final Monitor monitor;

    Queries(Machine machine, Monitor monitor) {
        this.machine = machine;
        this.monitor = monitor;
    }

    /** The stop a {@code monitor goto} moved the machine to (once), or null. */
    limu.emulator.Debugger.Stop takeMoved() {
        return monitor.takeMoved();
    }

    /** The reply to {@code p}; {@code cpu} is the CPU gdb selected with Hg. */
    String answer(String p, int cpu, GdbTransport.Client client) {
        if (p.startsWith("qSupported")) {
            return "PacketSize=" + Integer.toHexString(GdbTransport.MAX_PACKET)
                    + ";qXfer:features:read+;vContSupported+;swbreak+;hwbreak+;QStartNoAckMode+"
                    + (machine.timeTravel().isPresent() ? ";ReverseStep+;ReverseContinue+" : "");
        }
        if (p.equals("QStartNoAckMode")) {
            return "OK";
        }
        if (p.startsWith("qXfer:features:read:")) {
            String[] a = p.substring("qXfer:features:read:".length()).split(":");
            String[] range = a[1].split(",");
            return TargetDescription.read(a[0], Rsp.number(range[0]), Rsp.number(range[1]));
        }
        if (p.startsWith("qXfer:")) {
            return "";
        }
        switch (p) {
            case "qfThreadInfo": {
                StringBuilder s = new StringBuilder("m");
                for (int i = 0; i < machine.cpuCount(); i++) {
                    s.append(i == 0 ? "" : ",").append(ThreadIds.of(i));
                }
                return s.toString();
            }
            case "qsThreadInfo":
                return "l";
            case "qC":
                return "QC" + ThreadIds.of(cpu);
            case "qAttached":
                return "1";
            case "qSymbol::":
                return "OK";
            case "qOffsets": {
                // gdb reads the kernel's symbols from the ELF at their link addresses; a relocated kernel runs
                // slid by this much, and gdb adds it to every section when told here (gdb's "Remote Protocol",
                // General Query Packets). gdb takes the reply only with all three parts: without Bss it calls it
                // malformed and keeps the link addresses.
                String slide = Long.toHexString(machine.plan().kernelSlide());
                return "Text=" + slide + ";Data=" + slide + ";Bss=" + slide;
            }
            default:
                break;
        }
        if (p.startsWith("qAttached:")) {
            return "1";
        }
        if (p.startsWith("qThreadExtraInfo,")) {
            int thread = ThreadIds.cpu(p.substring("qThreadExtraInfo,".length()), cpu, machine.cpuCount());
            if (thread < 0) {
                return "E01";
            }
            return Rsp.hex("CPU " + thread + " " + machine.cpuState(thread));
        }
        if (p.startsWith("qRcmd,")) {
            String command = new String(Rsp.unhex(p.substring(6)), StandardCharsets.UTF_8);
            String out = monitor.run(command, cpu);
            for (int i = 0; i < out.length(); i += CONSOLE_CHUNK) {
                client.send("O" + Rsp.hex(out.substring(i, Math.min(out.length(), i + CONSOLE_CHUNK))));
            }
            return "OK";
        }
        return "";   // qTStatus, qOffsets and whatever we do not know: "not supported"
    }
}
