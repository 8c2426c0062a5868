// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * QEMU booting a kernel as users boot a Limine kernel: firmware (SeaBIOS or OVMF), then Limine 9.x
 * from an ISO, then the kernel. Finds qemu-system-x86_64, OVMF and Limine's binaries (which limu
 * never carries), builds an ISO around a kernel ELF with the clone's {@code scripts/limine-iso.sh},
 * and makes QEMU's command line with the same RAM and CPU count limu gets.
 */
final class QemuMachine {
    /** The firmware QEMU starts Limine from. */
    enum Firmware { bios, uefi }

    /** Where Debian and others put a whole OVMF image usable with {@code -bios}. */
    static final List<Path> OVMF_PLACES = List.of(Path.of("/usr/share/ovmf/OVMF.fd"),
            Path.of("/usr/share/OVMF/OVMF.fd"), Path.of("/usr/share/qemu/OVMF.fd"));

    private QemuMachine() {
    }

    /** qemu-system-x86_64 on PATH. */
    static Optional<Path> qemu() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "qemu-system-x86_64");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** QEMU's version line ("QEMU emulator version 7.2.22 ..."), or "QEMU" when it gives none. */
    static String qemuVersion(Path qemu) {
        try {
            Result r = exec(List.of(qemu.toString(), "--version"));
            Matcher m = Pattern.compile("version (\\S+)").matcher(r.stdout());
            return m.find() ? "QEMU " + m.group(1) : "QEMU";
        } catch (IOException e) {
            return "QEMU";
        }
    }

    /** The OVMF image: {@code given} when it is a file, else the first of {@link #OVMF_PLACES} there is. */
    static Optional<Path> ovmf(Path given) {
        if (given != null) {
            return Files.isRegularFile(given) ? Optional.of(given) : Optional.empty();
        }
        return OVMF_PLACES.stream().filter(Files::isRegularFile).findFirst();
    }

    /** The clone's script of that name, or empty (the distribution has no scripts). */
    static Optional<Path> script(String name) {
        Path p = Path.of(System.getProperty("limu.home", "."), "scripts", name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** Limine's binaries: their folder and version, or why they cannot be used. */
    record Limine(Path dir, String version, String problem) {
        boolean found() {
            return problem == null;
        }
    }

    /** Asks {@code scripts/limine-binaries.sh} where Limine 9.x's binaries are. */
    static Limine limine() {
        Optional<Path> script = script("limine-binaries.sh");
        if (script.isEmpty()) {
            return new Limine(null, null, "building a Limine ISO needs scripts/limine-binaries.sh and"
                    + " scripts/limine-iso.sh from a clone of limu");
        }
        try {
            Result r = exec(List.of("bash", script.get().toString()));
            if (r.code() != 0) {
                String why = r.stderr().strip();
                return new Limine(null, null, why.isEmpty() ? "scripts/limine-binaries.sh failed" : why);
            }
            Path dir = Path.of(r.stdout().strip());
            String bios = new String(Files.readAllBytes(dir.resolve("limine-bios.sys")), StandardCharsets.ISO_8859_1);
            Matcher m = Pattern.compile("Limine (9\\.\\d+\\.\\d+)").matcher(bios);
            return new Limine(dir, m.find() ? m.group(1) : "9.x", null);
        } catch (IOException e) {
            return new Limine(null, null, "scripts/limine-binaries.sh: " + e.getMessage());
        }
    }

    /**
     * A Limine ISO (BIOS and UEFI bootable) of {@code kernel} with {@code cmdline} (null: none),
     * written to {@code iso} by {@code scripts/limine-iso.sh}.
     */
    static Path buildIso(Path kernel, String cmdline, Path iso) throws IOException {
        Path script = script("limine-iso.sh").orElseThrow(() -> new IOException("scripts/limine-iso.sh not found:"
                + " building a Limine ISO needs a clone of limu"));
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), kernel.toString(), iso.toString()));
        if (cmdline != null) {
            cmd.addAll(List.of("--cmdline", cmdline));
        }
        Result r = exec(cmd);
        if (r.code() != 0) {
            throw new IOException("scripts/limine-iso.sh " + kernel + " failed (exit " + r.code() + "): "
                    + r.stderr().strip());
        }
        return iso;
    }

    /**
     * QEMU's command line: a PC ({@code -M pc}, TCG, QEMU's default CPU model), {@code memory} of RAM
     * and {@code cpus} CPUs like limu's {@code --memory} and {@code --cpus}, the ISO as a CD, COM1 on
     * stdout, the isa-debug-exit port at 0xF4 as limu has it, no display, no monitor, no reboot;
     * {@code -bios ovmf} for UEFI.
     */
    static List<String> command(Path qemu, Path iso, Firmware firmware, Path ovmf, String memory, int cpus) {
        List<String> cmd = new ArrayList<>(List.of(qemu.toString(), "-M", "pc", "-accel", "tcg", "-m", memory,
                "-smp", Integer.toString(cpus), "-cdrom", iso.toString(), "-serial", "stdio", "-display", "none",
                "-monitor", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"));
        if (firmware == Firmware.uefi) {
            cmd.addAll(List.of("-bios", ovmf.toString()));
        }
        return cmd;
    }

    private record Result(int code, String stdout, String stderr) {
    }

    /** Runs a short helper command to its end (at most two minutes), both outputs captured. */
    private static Result exec(List<String> cmd) throws IOException {
        Path out = Files.createTempFile("limu-qemu", ".out");
        Path err = Files.createTempFile("limu-qemu", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish within 120 s");
            }
            return new Result(p.exitValue(), new String(Files.readAllBytes(out), StandardCharsets.UTF_8),
                    new String(Files.readAllBytes(err), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
