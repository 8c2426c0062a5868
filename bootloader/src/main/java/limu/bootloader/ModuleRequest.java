// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.zip.GZIPInputStream;

/**
 * Module: {@code request { ...; u64 internal_module_count; limine_internal_module **internal_modules; }} (the two
 * extras from request revision 1), {@code response { u64 revision; u64 module_count; limine_file **modules; }},
 * response revision 2 like Limine's (internal modules honoured, and compressed ones decompressed).
 * <p>
 * Internal modules ({@code { const char *path; const char *string; u64 flags; }}, flags bit 0 REQUIRED, bit 1
 * COMPRESSED = gzip) come first, in the kernel's order, then the machine's {@link BootOptions#modules()}. An internal
 * path is relative to the kernel's directory on the boot volume unless it starts with {@code /}; it may end in
 * {@code #} and the 128-hex-digit BLAKE2b-512 hash of the file, which is then checked; a NULL string reads as
 * empty (older Limine did the same). A {@code boot():} prefix names the boot volume itself; other resource URIs, and
 * paths whose {@code ..} climb above the volume's root, are refused. The file is read from the boot volume
 * ({@link BootVolume#files()}), which may refuse it too; a missing or refused REQUIRED module fails the boot, a
 * missing or refused optional one is left out with a warning in the plan ({@link BootPlan#warnings()}).
 * Every module gets its own page-aligned EXECUTABLE_AND_MODULES pages. No module asked for (no internal ones, none
 * configured): no response. Modules asked for but none of them found: a response with a count of 0 and a valid (empty)
 * list, as Limine 9.x gives (observed under QEMU with an optional internal module that is not on the ISO).
 */
final class ModuleRequest extends LimineRequest {
    static final int RESPONSE_REVISION = 2;
    static final long REQUIRED = 1;
    static final long COMPRESSED = 2;
    /** A sanity bound on internal_module_count and string lengths read from the kernel. */
    static final int MAX_INTERNAL_MODULES = 4096;
    static final int MAX_STRING = 4096;
    private static final int HASH_DIGITS = 2 * Blake2b.OUT;
    /** Limine's URI for the volume the executable was loaded from; {@code boot():/x} is {@code /x} there. */
    static final String OWN_VOLUME = "boot():";
    /** Any other Limine resource URI ({@code hdd(1:2):}, {@code tftp():}, ...): another volume. */
    private static final java.util.regex.Pattern OTHER_RESOURCE = java.util.regex.Pattern.compile("[a-z]+\\([^)]*\\):");

    private record Module(String role, String path, String string, byte[] bytes) {
    }

    ModuleRequest() {
        super("module", 0x3e7e279702be32afL, 0xca1c4f3bd1280ceeL);
    }

    @Override
    long size(long revision) {
        return Limine.REQUEST_EXTRAS + (revision >= 1 ? 16 : 0);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        List<Module> modules = new ArrayList<>();
        boolean asked = false;
        if (request.revision() >= 1) {
            asked = request.u64(Limine.REQUEST_EXTRAS) != 0;
            internalModules(request, context, modules);
        }
        List<ModuleFile> files = context.machine().modules();
        asked |= !files.isEmpty();
        for (int i = 0; i < files.size(); i++) {
            ModuleFile m = files.get(i);
            modules.add(new Module("module", m.volumePath(), m.cmdline(), context.machineModules().get(i)));
        }
        if (!asked) {
            return OptionalLong.empty();
        }
        long response = context.allocateResponse(24, "the module response");
        // never a null list, even when empty: Rust readers make a slice of it
        long list = context.allocate(8L * Math.max(1, modules.size()), 8, "the module list");
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            String what = "module " + m.path();
            long address = context.placeFile(m.bytes(), what);
            long file = LimineFile.write(context, address, m.bytes().length, m.path(),
                    context.string(m.string(), what + " string"), what);
            context.writeU64(list + 8L * i, context.hhdm(file));
            context.loadedFiles().add(new LoadedFile(m.role(), m.path(), m.string(), address, m.bytes().length));
        }
        context.writeU64(response, RESPONSE_REVISION);
        context.writeU64(response + 8, modules.size());
        context.writeU64(response + 16, context.hhdm(list));
        return OptionalLong.of(response);
    }

    @Override
    String unansweredReason(BootContext context) {
        return "no modules";
    }

    private static void internalModules(FoundRequest request, BootContext context, List<Module> out)
            throws BootException {
        KernelImage image = context.image();
        String prefix = context.fileName() + ": module request at " + hex(request.virtual()) + ": ";
        long count = request.u64(Limine.REQUEST_EXTRAS);
        if (count == 0) {
            return;
        }
        if (Long.compareUnsigned(count, MAX_INTERNAL_MODULES) > 0) {
            throw new BootException(prefix + "internal_module_count " + Long.toUnsignedString(count)
                    + " is more than limu accepts (" + MAX_INTERNAL_MODULES + ")");
        }
        long array = request.u64(Limine.REQUEST_EXTRAS + 8);
        for (int i = 0; i < count; i++) {
            String where = prefix + "internal module " + i + ": ";
            long entry = pointer(image, array + 8L * i, where + "internal_modules[" + i + "]");
            long pathPointer = pointer(image, entry, where + "the structure");
            long stringPointer = pointer(image, entry + 8, where + "the structure");
            long flags = pointer(image, entry + 16, where + "the structure");
            String requested = string(image, pathPointer, where + "path");
            String string = stringPointer == 0 ? "" : string(image, stringPointer, where + "string");

            String path = requested;
            byte[] hash = null;
            int mark = requested.lastIndexOf('#');
            if (mark >= 0 && requested.length() - mark - 1 == HASH_DIGITS
                    && requested.substring(mark + 1).chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                path = requested.substring(0, mark);
                hash = HexFormat.of().parseHex(requested.substring(mark + 1));
            }
            boolean required = (flags & REQUIRED) != 0;
            String onVolume = path;
            if (onVolume.startsWith(OWN_VOLUME)) {
                onVolume = onVolume.substring(OWN_VOLUME.length());
            } else if (OTHER_RESOURCE.matcher(onVolume).lookingAt()) {
                leaveOut(context, required, where, requested, "limu reads only the boot volume, " + OWN_VOLUME);
                continue;
            }
            Optional<String> confined = VolumePath.resolveConfined(context.kernelPath(), onVolume);
            if (confined.isEmpty()) {
                leaveOut(context, required, where, requested, "refused: it climbs above the boot volume's root");
                continue;
            }
            String volumePath = confined.get();
            Optional<byte[]> bytes;
            try {
                bytes = read(context, volumePath, where);
            } catch (RefusedPathException e) {
                leaveOut(context, required, where, requested, "refused: " + e.getMessage());
                continue;
            }
            if (bytes.isEmpty()) {
                if (required) {
                    throw new BootException(where + "required file " + volumePath + " not found"
                            + (context.volume().files().isEmpty() ? " (limu was given no boot volume)" : ""));
                }
                context.warn(where + requested + " left out: " + volumePath + " not found");
                continue;
            }
            byte[] contents = bytes.get();
            if (hash != null && !Arrays.equals(hash, Blake2b.hash512(contents))) {
                throw new BootException(where + volumePath + " does not match the BLAKE2b hash in its path");
            }
            if ((flags & COMPRESSED) != 0) {
                contents = gunzip(contents, where + volumePath, context.allocator().available());
            }
            out.add(new Module("internal module", volumePath, string, contents));
        }
    }

    /** A module the kernel cannot have: a boot failure if it is REQUIRED, else a warning and left out. */
    private static void leaveOut(BootContext context, boolean required, String where, String requested, String why)
            throws BootException {
        if (required) {
            throw new BootException(where + "required module " + requested + ": " + why);
        }
        context.warn(where + requested + " left out: " + why);
    }

    private static Optional<byte[]> read(BootContext context, String path, String where)
            throws BootException, RefusedPathException {
        Optional<ModuleResolver> files = context.volume().files();
        if (files.isEmpty()) {
            return Optional.empty();
        }
        ModuleResolver resolver = files.get();
        try {
            Optional<byte[]> bytes = resolver.read(path);
            return bytes == null ? Optional.empty() : bytes;
        } catch (IOException e) {
            throw new BootException(where + "reading " + path + ": " + e.getMessage());
        }
    }

    /** Decompresses a gzip file that must not grow beyond {@code limit} bytes (the memory left to place it). */
    private static byte[] gunzip(byte[] bytes, String what, long limit) throws BootException {
        int cap = (int) Math.min(limit, Integer.MAX_VALUE - 16);
        byte[] out;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
            out = in.readNBytes(cap);
            if (in.read() >= 0) {
                throw new BootException(what + " decompresses to more than the " + hex(cap)
                        + " bytes of memory left");
            }
        } catch (IOException e) {
            throw new BootException(what + " is marked compressed but is not a valid gzip file (" + e.getMessage()
                    + ")");
        }
        return out;
    }

    /** The qword at kernel address {@code vaddr}, which must lie in the loaded image. */
    private static long pointer(KernelImage image, long vaddr, String what) throws BootException {
        if (!image.contains(vaddr) || !image.contains(vaddr + 7)) {
            throw new BootException(what + " at " + hex(vaddr) + " is outside the kernel image");
        }
        return image.u64AtVirtual(vaddr);
    }

    /** The NUL-terminated UTF-8 string at kernel address {@code vaddr}, inside the loaded image. */
    private static String string(KernelImage image, long vaddr, String what) throws BootException {
        byte[] b = new byte[MAX_STRING];
        for (int i = 0; i < MAX_STRING; i++) {
            if (!image.contains(vaddr + i)) {
                throw new BootException(what + " at " + hex(vaddr) + " is outside the kernel image");
            }
            b[i] = (byte) image.byteAtVirtual(vaddr + i);
            if (b[i] == 0) {
                return new String(b, 0, i, StandardCharsets.UTF_8);
            }
        }
        throw new BootException(what + " at " + hex(vaddr) + " is not NUL-terminated within " + MAX_STRING
                + " bytes");
    }
}
