// EPUBCheck kept warm for a whole build (flows/jvm.py starts it; Java 11+ runs this source
// file directly: java -cp epubcheck.jar EpubCheckServer.java SOCKET [WARM_UP.epub]).
//
// Listens on the Unix socket SOCKET. A request is EPUBCheck's command-line arguments, one per
// line, ended by an empty line; the answer is "json EXIT LENGTH\n" and the JSON report EPUBCheck
// wrote (its --json output, as the command line gives it), or "error MESSAGE\n". A connection may
// carry any number of requests. Checks run one at a time: EPUBCheck does not promise that two
// checks may share a JVM at once.
//
// The process ends when its standard input closes: the process that started it ended, however
// it ended. Nothing else is read from standard input; standard output says "ready VERSION" once
// the socket listens (after the warm-up on WARM_UP.epub), then nothing more (EPUBCheck's own
// printing goes to standard error).

import com.adobe.epubcheck.api.EpubCheck;
import com.adobe.epubcheck.tool.EpubChecker;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class EpubCheckServer {
    private static final Object ONE_AT_A_TIME = new Object();
    private static Path folder;

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        folder = socket.getParent();
        PrintStream protocol = System.out;
        System.setOut(System.err);
        Thread owner = new Thread(EpubCheckServer::exitWithOwner, "exit-with-owner");
        owner.setDaemon(true);
        owner.start();
        // The schemas are loaded (on a sample book) before the socket listens: a client waits
        // for the socket under its start budget, then for its answer under the check's, so a
        // slow start on a busy machine is not taken for a check that hangs.
        if (args.length > 1) {
            check(List.of(args[1], "-q"));
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Files.deleteIfExists(socket);
        server.bind(UnixDomainSocketAddress.of(socket));
        protocol.println("ready " + EpubCheck.version());
        protocol.flush();
        while (true) {
            SocketChannel client = server.accept();
            Thread thread = new Thread(() -> serve(client), "client");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private static void exitWithOwner() {
        try {
            while (System.in.read() != -1) {
                // nothing is sent: only the end matters
            }
        } catch (IOException e) {
            // the pipe broke: the owner is gone all the same
        }
        // An owner that was killed could not remove the folder: the last one alive does.
        File[] left = folder.toFile().listFiles();
        for (File file : left == null ? new File[0] : left) {
            file.delete();
        }
        folder.toFile().delete();
        Runtime.getRuntime().halt(0);
    }

    private static void serve(SocketChannel channel) {
        try (channel) {
            BufferedReader in = new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(channel);
            List<String> argv = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isEmpty()) {
                    argv.add(line);
                    continue;
                }
                out.write(check(argv));
                out.flush();
                argv.clear();
            }
        } catch (IOException e) {
            // the client went away: nothing to answer
        }
    }

    private static byte[] check(List<String> argv) {
        Path json = null;
        try {
            json = Files.createTempFile(folder, "report", ".json");
            List<String> args = new ArrayList<>(argv);
            args.add("--json");
            args.add(json.toString());
            int exit;
            synchronized (ONE_AT_A_TIME) {
                exit = new EpubChecker().run(args.toArray(new String[0]));
            }
            byte[] report = Files.readAllBytes(json);
            byte[] head = ("json " + exit + " " + report.length + "\n").getBytes(StandardCharsets.UTF_8);
            byte[] answer = new byte[head.length + report.length];
            System.arraycopy(head, 0, answer, 0, head.length);
            System.arraycopy(report, 0, answer, head.length, report.length);
            return answer;
        } catch (Exception e) {
            String why = String.valueOf(e).replace('\n', ' ');
            return ("error " + why + "\n").getBytes(StandardCharsets.UTF_8);
        } finally {
            if (json != null) {
                try {
                    Files.deleteIfExists(json);
                } catch (IOException e) {
                    // the owner removes the whole folder at the end
                }
            }
        }
    }
}
