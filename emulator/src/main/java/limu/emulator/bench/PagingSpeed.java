// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import limu.bootloader.BootException;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.StopReason;
import limu.emulator.unicorn.CpuHooks;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.RunExit;
import limu.emulator.unicorn.Slice;
import limu.emulator.unicorn.UnicornEngine;

/**
 * Guest speed with limu's page walk filling Unicorn's virtual TLB, next to the same runs on
 * Unicorn's own x86 MMU ({@link UnicornEngine#UNICORN_MMU_PROPERTY}): the hello kernel's register
 * loop ({@code compute}) and stack loop ({@code memory}, stores through Limine's executable HHDM)
 * in both builds, the chapter kernel's boot, and a bare engine's store loop on an executable page.
 */
public final class PagingSpeed {
    private final Path kernels;
    private final int runs;
    private final long iterations;

    /** {@code iterations}: of the release build's loops; the dev build runs a tenth of them. */
    public PagingSpeed(Path kernels, int runs, long iterations) {
        this.kernels = kernels;
        this.runs = runs;
        this.iterations = iterations;
    }

    public void print() throws IOException, BootException {
        System.out.printf("guest speed: limu's page walk (virtual TLB) vs Unicorn's own MMU, median of %d runs:%n",
                runs);
        for (String profile : new String[] {"release", "dev"}) {
            Path kernel = kernels.resolve(profile.equals("dev") ? "hello.elf" : "hello-release.elf");
            if (!Files.isRegularFile(kernel)) {
                continue;
            }
            long n = profile.equals("dev") ? iterations / 10 : iterations;
            loop(kernel, profile, "compute " + n, "registers, one store to .bss (NX)");
            loop(kernel, profile, "memory " + n, "stack stores through the RWX HHDM");
        }
        Path chapter = kernels.resolve("chapter.elf");
        if (Files.isRegularFile(chapter)) {
            byte[] elf = Files.readAllBytes(chapter);
            MachineConfig config = MachineConfig.defaults(OutputStream.nullOutputStream());
            double walk = median(() -> timeRun(config, elf, chapter, false));
            double unicorn = median(() -> timeRun(config, elf, chapter, true));
            System.out.printf("  chapter kernel (dev), boot to the end, 1 CPU: page walk %.1f ms, Unicorn's MMU %.1f ms"
                    + " (x%.1f)%n", walk, unicorn, unicorn / walk);
        }
        bareStores();
        System.out.println();
    }

    private void loop(Path kernel, String profile, String cmdline, String what) throws IOException, BootException {
        byte[] elf = Files.readAllBytes(kernel);
        MachineConfig config = MachineConfig.builder(OutputStream.nullOutputStream()).cmdline(cmdline)
                .countInstructions(true).build();
        long instructions;
        try (Machine m = Machine.boot(config, elf, kernel.toString())) {
            StopReason r = m.run();
            if (!(r instanceof StopReason.GuestExit)) {
                System.out.println("  hello " + cmdline + " ended unexpectedly: " + r.message());
                return;
            }
            instructions = m.instructions();
        }
        double walk = median(() -> timeRun(config, elf, kernel, false));
        double unicorn = median(() -> timeRun(config, elf, kernel, true));
        System.out.printf("  hello %-7s %-18s (%s): %,d instructions%n", profile, cmdline, what, instructions);
        System.out.printf("    page walk %,7.0f M instructions/s   Unicorn's MMU %,7.0f M instructions/s   x%.1f%n",
                instructions / walk / 1000.0, instructions / unicorn / 1000.0, unicorn / walk);
    }

    /** Boot and run to the end, in ms, on the chosen MMU. */
    private static double timeRun(MachineConfig config, byte[] elf, Path kernel, boolean unicornMmu)
            throws BootException {
        String before = System.getProperty(UnicornEngine.UNICORN_MMU_PROPERTY);
        System.setProperty(UnicornEngine.UNICORN_MMU_PROPERTY, Boolean.toString(unicornMmu));
        try {
            long t0 = System.nanoTime();
            try (Machine m = Machine.boot(config, elf, kernel.toString())) {
                m.run();
            }
            return (System.nanoTime() - t0) / 1e6;
        } finally {
            if (before == null) {
                System.clearProperty(UnicornEngine.UNICORN_MMU_PROPERTY);
            } else {
                System.setProperty(UnicornEngine.UNICORN_MMU_PROPERTY, before);
            }
        }
    }

    /**
     * A bare engine (no machine): {@code mov [rsp-8], rcx; mov [rsp-16], rax; mov rax, [rsp-8]; dec ecx;
     * jnz} 20 M times, the stack on a 2 MiB page mapped read-write-execute.
     */
    private void bareStores() {
        int loops = 20_000_000;
        byte[] code = {(byte) 0xb9, (byte) loops, (byte) (loops >> 8), (byte) (loops >> 16), (byte) (loops >> 24),
            0x48, (byte) 0x89, 0x4c, 0x24, (byte) 0xf8,        // mov [rsp-8], rcx
            0x48, (byte) 0x89, 0x44, 0x24, (byte) 0xf0,        // mov [rsp-16], rax
            0x48, (byte) 0x8b, 0x44, 0x24, (byte) 0xf8,        // mov rax, [rsp-8]
            (byte) 0xff, (byte) 0xc9, 0x75, (byte) 0xef,       // dec ecx; jnz
            (byte) 0xf4};
        double walk = bestBare(code, false);
        double unicorn = bestBare(code, true);
        System.out.printf("  bare engine, two stores and a load to an executable page, %,d iterations: page walk"
                + " %.1f ns, Unicorn's MMU %.1f ns an iteration (x%.1f)%n", loops, walk * 1e6 / loops,
                unicorn * 1e6 / loops, unicorn / walk);
    }

    private double bestBare(byte[] code, boolean unicornMmu) {
        String before = System.getProperty(UnicornEngine.UNICORN_MMU_PROPERTY);
        System.setProperty(UnicornEngine.UNICORN_MMU_PROPERTY, Boolean.toString(unicornMmu));
        try (BareEngine bare = new BareEngine(new CpuHooks() {
            @Override
            public int portIn(int port, int size) {
                return 0xff;
            }

            @Override
            public boolean portOut(int port, int size, int value) {
                return false;
            }
        }, false)) {
            double best = Double.MAX_VALUE;
            for (int i = 0; i < runs; i++) {
                UnicornEngine e = bare.load(code);
                long t0 = System.nanoTime();
                Slice s;
                do {
                    s = e.run(Long.MAX_VALUE);
                } while (s.exit() == RunExit.BUDGET);
                best = Math.min(best, (System.nanoTime() - t0) / 1e6);
                if (e.read(Register.RCX) != 0) {
                    throw new IllegalStateException("the bare store loop stopped early: " + s.exit());
                }
            }
            return best;
        } finally {
            if (before == null) {
                System.clearProperty(UnicornEngine.UNICORN_MMU_PROPERTY);
            } else {
                System.setProperty(UnicornEngine.UNICORN_MMU_PROPERTY, before);
            }
        }
    }

    private interface Timing extends Callable<Double> {
    }

    private double median(Timing timing) throws BootException {
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            try {
                t[i] = timing.call();
            } catch (BootException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        Arrays.sort(t);
        return t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }
}
