// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import limu.emulator.ExitCodes;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code limu}: the command line. */
@Command(name = "limu", mixinStandardHelpOptions = true, versionProvider = VersionReport.class,
        description = "Boots x86_64 kernels written for the Limine boot protocol straight from their ELF file:"
                + " no firmware, no ISO, no bootloader binary.",
        exitCodeListHeading = "%nExit codes of 'limu run':%n",
        exitCodeList = {
            "0:all CPUs halted (the usual hlt loop at the end of a kernel)",
            "odd N:the guest wrote v to the isa-debug-exit port 0xf4: N = (v << 1) | 1, as QEMU",
            "2:bad command line",
            "4:kernel rejected (missing file, not an ELF64 x86_64 executable, bad layout)",
            "6:engine unavailable (libunicorn missing or older than 2.1, native shim missing, not Linux x86_64)",
            "8:guest crashed (triple fault: an exception its IDT cannot deliver; access to unbacked physical memory)",
            "10:timeout",
            "12:internal error in limu",
            "14:stopped by Ctrl-C",
            "16:the guest asked for a reset (limu stops instead of rebooting)",
            "18:--heap-check found a wrong allocation (double free, overlap, ...)",
            "20:--success-exit-code: the guest exited with another status",
            "22:--success-exit-code: halted without the exit port (see --halt-is-success)",
            "24:an --expect never matched, or the output differs from --expect-file",
            "26:a serial line matched --fail-on",
            "28:limu test: at least one kernel failed",
            "30:--display window: the window was closed while the machine ran",
            "32:the serial console's Ctrl-A x stopped the machine",
            "34:limu replay: the replay diverged from the recording (another kernel, input or end)"})
public final class Main {
    /** The subcommands by name, in the order help lists them. */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();

    /** When the command line started to run, for {@code limu run --timings}. */
    static volatile long enteredNanos = System.nanoTime();
    static volatile java.time.Instant enteredAt = java.time.Instant.now();

    private static Map<String, Supplier<Object>> subcommands() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("run", RunCommand::new);
        m.put("test", TestCommand::new);
        m.put("replay", ReplayCommand::new);
        m.put("bench", BenchCommand::new);
        m.put("devices", DevicesCommand::new);
        m.put("help", CommandLine.HelpCommand::new);
        return m;
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code, without exiting (for tests and embedding). */
    public static int execute(String... args) {
        enteredNanos = System.nanoTime();
        enteredAt = java.time.Instant.now();
        CommandLine cli = new CommandLine(new Main());
        // picocli builds a command's whole model (reflection over every option) when it is added:
        // a command line naming its subcommand first gets only that one, which halves the parsing
        // time of `limu run`; anything else (--help, a typo that deserves suggestions) gets them all
        // (`help COMMAND` looks the others up, so it gets them all too)
        Supplier<Object> named = args.length == 0 || args[0].equals("help") ? null : SUBCOMMANDS.get(args[0]);
        if (named != null) {
            cli.addSubcommand(named.get());
        } else {
            SUBCOMMANDS.values().forEach(s -> cli.addSubcommand(s.get()));
        }
        return configure(cli).execute(args);
    }

    /** limu's handling of bad command lines (exit code 2) and of internal errors (12), for any command. */
    static CommandLine configure(CommandLine cli) {
        cli.setExitCodeExceptionMapper(t -> ExitCodes.INTERNAL_ERROR);
        cli.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("limu: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help' for more information.");
            return ExitCodes.USAGE;
        });
        cli.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("limu: internal error: " + ex);
            for (StackTraceElement e : ex.getStackTrace()) {
                c.getErr().println("    at " + e);
            }
            return ExitCodes.INTERNAL_ERROR;
        });
        return cli;
    }
}
