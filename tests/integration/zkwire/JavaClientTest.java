// ZooKeeper's own Java client (Debian's zookeeper.jar, unchanged) against a
// 3-node zabkeeper ensemble; only the connect string differs. Every check
// below is ZooKeeper 3.8's behaviour: `java_client_test.py --zookeeper
// JavaClientTest.java` runs them against Apache ZooKeeper itself.
//
//   java -cp CLASSPATH JavaClientTest CONNECT_STRING LEADER_HOST:PORT
//
// Run by java_client_test.py, which starts the ensemble. The leader kill is
// coordinated over stdin/stdout: this program prints a line starting with
// "KILL-LEADER" and waits for one line "killed HOST:PORT" (the address of
// the server that was killed, once the others have elected a new leader).
// Exits 0 after "ok: ...", 1 with "FAIL: ..." on the first failed check.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.HostProvider;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

public final class JavaClientTest {
  static final int SESSION_TIMEOUT_MS = 10000;
  static final long WAIT_S = 30;
  static final List<ACL> OPEN = Ids.OPEN_ACL_UNSAFE;

  static String step = "start";

  // ---- checks ----

  static final class Failure extends RuntimeException {
    Failure(String message) {
      super(message);
    }
  }

  static void check(boolean ok, String what) {
    if (!ok) {
      throw new Failure(what);
    }
  }

  static void checkEq(Object want, Object got, String what) {
    if (!Objects.equals(want, got)) {
      throw new Failure(what + ": want <" + want + ">, got <" + got + ">");
    }
  }

  interface Call {
    void run() throws Exception;
  }

  // Runs call and requires it to fail with exactly the KeeperException type.
  static <E extends KeeperException> E expect(Class<E> type, String what, Call call)
      throws Exception {
    try {
      call.run();
    } catch (KeeperException e) {
      if (type.isInstance(e)) {
        return type.cast(e);
      }
      throw new Failure(what + ": want " + type.getSimpleName() + ", got " + e);
    }
    throw new Failure(what + ": want " + type.getSimpleName() + ", but it succeeded");
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String s(byte[] data) {
    return data == null ? null : new String(data, StandardCharsets.UTF_8);
  }

  static List<String> sorted(List<String> list) {
    List<String> copy = new ArrayList<>(list);
    Collections.sort(copy);
    return copy;
  }

  // ---- clients ----

  // ZooKeeper with the remote address it is connected to (a protected
  // accessor of the client), and its connection states as they arrive.
  static final class Zk extends ZooKeeper {
    final StateWatcher states;

    Zk(String hosts, StateWatcher states) throws Exception {
      super(hosts, SESSION_TIMEOUT_MS, states);
      this.states = states;
    }

    Zk(String hosts, StateWatcher states, HostProvider hostProvider) throws Exception {
      super(hosts, SESSION_TIMEOUT_MS, states, false, hostProvider);
      this.states = states;
    }

    String remote() {
      InetSocketAddress a = (InetSocketAddress) testableRemoteSocketAddress();
      return a == null ? "none" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }
  }

  // The default watcher: connection states go to `states`, node events from
  // watch=true calls go to `nodes`.
  static final class StateWatcher implements Watcher {
    final List<KeeperState> seen = Collections.synchronizedList(new ArrayList<>());
    final Events nodes = new Events();
    volatile KeeperState state = KeeperState.Disconnected;

    @Override
    public void process(WatchedEvent e) {
      if (e.getType() == EventType.None) {
        seen.add(e.getState());
        synchronized (this) {
          state = e.getState();
          notifyAll();
        }
      } else {
        nodes.process(e);
      }
    }

    synchronized void awaitConnected(String what) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
      while (state != KeeperState.SyncConnected) {
        check(state != KeeperState.Expired, what + ": session expired");
        long left = deadline - System.nanoTime();
        check(left > 0, what + ": not connected after " + WAIT_S + " s (state " + state + ")");
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }

  static Zk connect(String hosts) throws Exception {
    StateWatcher states = new StateWatcher();
    Zk zk = new Zk(hosts, states);
    states.awaitConnected("connect to " + hosts);
    return zk;
  }

  // Tries the servers in the given order instead of the client's shuffled
  // one, so the caller knows which server a session starts on.
  static final class InOrderHostProvider implements HostProvider {
    final List<InetSocketAddress> servers;
    int next = 0;
    int triedSinceConnect = 0;

    InOrderHostProvider(List<InetSocketAddress> servers) {
      this.servers = servers;
    }

    @Override
    public int size() {
      return servers.size();
    }

    @Override
    public InetSocketAddress next(long spinDelay) {
      if (triedSinceConnect++ >= servers.size() && spinDelay > 0) {
        try {
          Thread.sleep(spinDelay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      InetSocketAddress a = servers.get(next);
      next = (next + 1) % servers.size();
      return a;
    }

    @Override
    public void onConnected() {
      triedSinceConnect = 0;
    }

    @Override
    public boolean updateServerList(Collection<InetSocketAddress> list, InetSocketAddress current) {
      return false;
    }
  }

  static InetSocketAddress addr(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return new InetSocketAddress(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1)));
  }

  // ---- watches ----

  // Collects a watcher's node events (connection-state events are left out).
  static final class Events implements Watcher {
    final BlockingQueue<WatchedEvent> queue = new LinkedBlockingQueue<>();

    @Override
    public void process(WatchedEvent e) {
      if (e.getType() != EventType.None) {
        queue.add(e);
      }
    }

    void expect(EventType type, String path, String what) throws InterruptedException {
      WatchedEvent e = queue.poll(WAIT_S, TimeUnit.SECONDS);
      check(e != null, what + ": no event within " + WAIT_S + " s (want " + type + " " + path
          + ")");
      checkEq(type + " " + path, e.getType() + " " + e.getPath(), what);
      checkEq(KeeperState.SyncConnected, e.getState(), what + " (event state)");
    }

    // No event is pending once zk has seen everything the server sent it
    // before a sync (events and callbacks run in order on one thread).
    void expectNone(ZooKeeper zk, String what) throws Exception {
      fence(zk);
      WatchedEvent e = queue.poll();
      check(e == null, what + ": unexpected event " + e);
    }
  }

  static void fence(ZooKeeper zk) throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Integer> rc = new AtomicReference<>();
    zk.sync("/", (r, path, ctx) -> {
      rc.set(r);
      done.countDown();
    }, null);
    check(done.await(WAIT_S, TimeUnit.SECONDS), "sync callback never ran");
    checkEq(0, rc.get(), "sync rc");
  }

  // ---- the checks, in order ----

  static void creates(Zk a, Zk b) throws Exception {
    step = "create persistent";
    checkEq("/jct", a.create("/jct", b("root"), OPEN, CreateMode.PERSISTENT), step);
    expect(KeeperException.NodeExistsException.class, "create an existing node",
        () -> a.create("/jct", b(""), OPEN, CreateMode.PERSISTENT));
    expect(KeeperException.NoNodeException.class, "create under a missing parent",
        () -> a.create("/jct/missing/x", b(""), OPEN, CreateMode.PERSISTENT));

    Stat st = new Stat();
    checkEq("/jct/p", a.create("/jct/p", b("v0"), OPEN, CreateMode.PERSISTENT, st), step);
    checkEq(0, st.getVersion(), "create2 stat version");
    checkEq(2, st.getDataLength(), "create2 stat dataLength");
    checkEq(st.getCzxid(), st.getMzxid(), "create2 stat mzxid");
    checkEq(st.getCzxid(), st.getPzxid(), "create2 stat pzxid");
    checkEq(0L, st.getEphemeralOwner(), "create2 stat ephemeralOwner");
    Stat got = new Stat();
    checkEq("v0", s(b.getData("/jct/p", false, got)), "getData from another session");
    checkEq(st, got, "getData stat vs create2 stat");
    Stat parent = a.exists("/jct", false);
    checkEq(1, parent.getNumChildren(), "parent numChildren");
    checkEq(1, parent.getCversion(), "parent cversion");
    checkEq(st.getCzxid(), parent.getPzxid(), "parent pzxid");

    step = "create ephemeral";
    a.create("/jct/e", b("mine"), OPEN, CreateMode.EPHEMERAL, st);
    checkEq(a.getSessionId(), st.getEphemeralOwner(), "ephemeral's ephemeralOwner");
    checkEq(a.getSessionId(), b.exists("/jct/e", false).getEphemeralOwner(),
        "ephemeralOwner seen by another session");
    expect(KeeperException.NoChildrenForEphemeralsException.class, "child of an ephemeral",
        () -> a.create("/jct/e/c", b(""), OPEN, CreateMode.PERSISTENT));

    step = "create sequential";
    a.create("/jct/seq", b(""), OPEN, CreateMode.PERSISTENT);
    checkEq("/jct/seq/q-0000000000",
        a.create("/jct/seq/q-", b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL), step);
    checkEq("/jct/seq/q-0000000001",
        b.create("/jct/seq/q-", b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL), step);
    checkEq("/jct/seq/q-0000000002",
        a.create("/jct/seq/q-", b(""), OPEN, CreateMode.EPHEMERAL_SEQUENTIAL, st), step);
    checkEq(a.getSessionId(), st.getEphemeralOwner(), "ephemeral sequential's ephemeralOwner");
    checkEq(Arrays.asList("q-0000000000", "q-0000000001", "q-0000000002"),
        sorted(a.getChildren("/jct/seq", false)), "children of /jct/seq");

    step = "create container";
    checkEq("/jct/box", a.create("/jct/box", b(""), OPEN, CreateMode.CONTAINER, st), step);
    // ZooKeeper reports ephemeralOwner 0 for container and TTL nodes
    // (docs/ZOOKEEPER_OBSERVED.md).
    checkEq(0L, st.getEphemeralOwner(), "container's ephemeralOwner");
    a.create("/jct/box/item", b(""), OPEN, CreateMode.PERSISTENT);
    expect(KeeperException.NotEmptyException.class, "delete a container with a child",
        () -> a.delete("/jct/box", -1));

    step = "create TTL";
    try {
      checkEq("/jct/ttl", a.create("/jct/ttl", b(""), OPEN, CreateMode.PERSISTENT_WITH_TTL,
          st, 600000), step);
      checkEq(0L, st.getEphemeralOwner(), "TTL node's ephemeralOwner");
    } catch (KeeperException.UnimplementedException e) {
      System.out.println("note: TTL nodes disabled (extendedTypesEnabled=false)");
    }
  }

  static void versions(Zk a) throws Exception {
    step = "setData with version";
    Stat st = a.setData("/jct/p", b("v1"), 0);
    checkEq(1, st.getVersion(), "version after setData");
    check(st.getMzxid() > st.getCzxid(), "mzxid moves past czxid: " + st);
    expect(KeeperException.BadVersionException.class, "setData with a stale version",
        () -> a.setData("/jct/p", b("stale"), 0));
    checkEq(2, a.setData("/jct/p", b("v2"), -1).getVersion(), "setData with version -1");
    Stat got = new Stat();
    checkEq("v2", s(a.getData("/jct/p", false, got)), "data after setData");
    checkEq(2, got.getVersion(), "getData stat version");
    checkEq(2, got.getDataLength(), "getData stat dataLength");
    expect(KeeperException.NoNodeException.class, "setData of a missing node",
        () -> a.setData("/jct/nope", b(""), -1));
    expect(KeeperException.NoNodeException.class, "getData of a missing node",
        () -> a.getData("/jct/nope", false, null));
    check(a.exists("/jct/nope", false) == null, "exists of a missing node is null");
  }

  static void watches(Zk a, Zk b) throws Exception {
    step = "exists watch";
    Events w = new Events();
    check(a.exists("/jct/w", w) == null, "exists(/jct/w) before it is created");
    b.create("/jct/w", b("0"), OPEN, CreateMode.PERSISTENT);
    w.expect(EventType.NodeCreated, "/jct/w", "exists watch on a missing node");
    check(a.exists("/jct/w", w) != null, "exists(/jct/w) after it is created");
    b.setData("/jct/w", b("1"), -1);
    w.expect(EventType.NodeDataChanged, "/jct/w", "exists watch on an existing node");
    b.setData("/jct/w", b("2"), -1);
    w.expectNone(a, "a watch fires once");

    step = "getChildren watch";
    Events kids = new Events();
    checkEq(Collections.emptyList(), a.getChildren("/jct/w", kids), "children of /jct/w");
    a.getData("/jct/w", w, null);
    b.create("/jct/w/c1", b(""), OPEN, CreateMode.PERSISTENT);
    kids.expect(EventType.NodeChildrenChanged, "/jct/w", "getChildren watch");
    b.create("/jct/w/c2", b(""), OPEN, CreateMode.PERSISTENT);
    kids.expectNone(a, "a child watch fires once");
    w.expectNone(a, "a data watch does not fire for a new child");
    b.setData("/jct/w", b("3"), -1);
    w.expect(EventType.NodeDataChanged, "/jct/w", "getData watch");
    kids.expectNone(a, "a child watch does not fire for setData");

    step = "delete watches";
    checkEq(Arrays.asList("c1", "c2"), sorted(a.getChildren("/jct/w", kids)), "children");
    a.exists("/jct/w/c1", w);
    b.delete("/jct/w/c1", -1);
    kids.expect(EventType.NodeChildrenChanged, "/jct/w", "child watch on a child's delete");
    w.expect(EventType.NodeDeleted, "/jct/w/c1", "exists watch on a delete");

    step = "default watcher";
    a.getData("/jct/w/c2", true, null);
    b.setData("/jct/w/c2", b("x"), -1);
    a.states.nodes.expect(EventType.NodeDataChanged, "/jct/w/c2", "default watcher (watch=true)");
  }

  static void deletes(Zk a) throws Exception {
    step = "delete";
    expect(KeeperException.NoNodeException.class, "delete a missing node",
        () -> a.delete("/jct/nope", -1));
    expect(KeeperException.NotEmptyException.class, "delete a node with children",
        () -> a.delete("/jct/w", -1));
    expect(KeeperException.BadVersionException.class, "delete with a wrong version",
        () -> a.delete("/jct/w/c2", 7));
    a.delete("/jct/w/c2", 1);
    check(a.exists("/jct/w/c2", false) == null, "deleted node is gone");
    a.delete("/jct/w", -1);
    check(!a.getChildren("/jct", false).contains("w"), "deleted node is not a child any more");
  }

  static void multis(Zk a) throws Exception {
    step = "multi";
    a.create("/jct/m", b(""), OPEN, CreateMode.PERSISTENT);
    List<OpResult> r = a.multi(Arrays.asList(
        Op.create("/jct/m/a", b("a"), OPEN, CreateMode.PERSISTENT),
        Op.create("/jct/m/s-", b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL),
        Op.setData("/jct/m", b("x"), 0),
        Op.check("/jct/m", 1),
        Op.delete("/jct/m/a", 0)));
    checkEq(5, r.size(), "multi result count");
    checkEq("/jct/m/a", ((OpResult.CreateResult) r.get(0)).getPath(), "multi create result");
    checkEq("/jct/m/s-0000000001", ((OpResult.CreateResult) r.get(1)).getPath(),
        "multi sequential create result");
    Stat set = ((OpResult.SetDataResult) r.get(2)).getStat();
    checkEq(1, set.getVersion(), "multi setData result version");
    check(r.get(3) instanceof OpResult.CheckResult, "multi check result: " + r.get(3));
    check(r.get(4) instanceof OpResult.DeleteResult, "multi delete result: " + r.get(4));
    checkEq(set.getMzxid(), a.exists("/jct/m/s-0000000001", false).getCzxid(),
        "all ops of a multi share one zxid");
    check(a.exists("/jct/m/a", false) == null, "multi's delete applied");

    step = "failed multi";
    KeeperException e = expect(KeeperException.BadVersionException.class, "multi failing at op 1",
        () -> a.multi(Arrays.asList(
            Op.create("/jct/m/x", b(""), OPEN, CreateMode.PERSISTENT),
            Op.check("/jct/m", 99),
            Op.create("/jct/m/y", b(""), OPEN, CreateMode.PERSISTENT))));
    checkEq(Arrays.asList(Code.OK.intValue(), Code.BADVERSION.intValue(),
        Code.RUNTIMEINCONSISTENCY.intValue()), errs(e.getResults()), "failed multi's results");
    check(a.exists("/jct/m/x", false) == null, "failed multi applied nothing");
    e = expect(KeeperException.NodeExistsException.class, "multi failing at op 0",
        () -> a.multi(Arrays.asList(
            Op.create("/jct/m", b(""), OPEN, CreateMode.PERSISTENT),
            Op.delete("/jct/m/s-0000000001", -1))));
    checkEq(Arrays.asList(Code.NODEEXISTS.intValue(), Code.RUNTIMEINCONSISTENCY.intValue()),
        errs(e.getResults()), "failed multi's results");
    check(a.exists("/jct/m/s-0000000001", false) != null, "failed multi deleted nothing");

    step = "transaction";
    r = a.transaction().check("/jct/m", 1).create("/jct/m/t", b(""), OPEN, CreateMode.PERSISTENT)
        .commit();
    checkEq("/jct/m/t", ((OpResult.CreateResult) r.get(1)).getPath(), "transaction create");

    step = "read-only multi";
    r = a.multi(Arrays.asList(Op.getData("/jct/m"), Op.getChildren("/jct/m"),
        Op.getData("/jct/nope")));
    checkEq("x", s(((OpResult.GetDataResult) r.get(0)).getData()), "multi getData");
    checkEq(1, ((OpResult.GetDataResult) r.get(0)).getStat().getVersion(), "multi getData stat");
    checkEq(Arrays.asList("s-0000000001", "t"),
        sorted(((OpResult.GetChildrenResult) r.get(1)).getChildren()), "multi getChildren");
    checkEq(Code.NONODE.intValue(), ((OpResult.ErrorResult) r.get(2)).getErr(),
        "multi getData of a missing node");
  }

  static List<Integer> errs(List<OpResult> results) {
    check(results != null, "failed multi carries no results");
    List<Integer> codes = new ArrayList<>();
    for (OpResult r : results) {
      check(r instanceof OpResult.ErrorResult, "failed multi result is not an ErrorResult: " + r);
      codes.add(((OpResult.ErrorResult) r).getErr());
    }
    return codes;
  }

  static void acls(Zk a, String hosts) throws Exception {
    step = "digest ACL";
    String digest = DigestAuthenticationProvider.generateDigest("alice:secret");
    List<ACL> alice = Collections.singletonList(new ACL(Perms.ALL, new Id("digest", digest)));
    a.create("/jct/acl", b("secret"), alice, CreateMode.PERSISTENT);
    Zk c = connect(hosts);
    try {
      expect(KeeperException.NoAuthException.class, "getData without auth",
          () -> c.getData("/jct/acl", false, null));
      expect(KeeperException.NoAuthException.class, "setData without auth",
          () -> c.setData("/jct/acl", b("x"), -1));
      expect(KeeperException.NoAuthException.class, "getACL without READ or ADMIN",
          () -> c.getACL("/jct/acl", new Stat()));
      Zk wrong = connect(hosts);
      try {
        wrong.addAuthInfo("digest", b("alice:wrong"));
        expect(KeeperException.NoAuthException.class, "getData with a wrong password",
            () -> wrong.getData("/jct/acl", false, null));
      } finally {
        wrong.close();
      }
      c.addAuthInfo("digest", b("alice:secret"));
      checkEq("secret", s(c.getData("/jct/acl", false, null)), "getData with auth");

      step = "whoAmI";
      List<String> who = new ArrayList<>();
      for (ClientInfo i : c.whoAmI()) {
        who.add(i.getAuthScheme() + ":" + i.getUser());
      }
      check(who.contains("digest:alice"), "whoAmI has digest:alice: " + who);
      check(who.contains("ip:127.0.0.1"), "whoAmI has ip:127.0.0.1: " + who);

      step = "getACL/setACL";
      Stat st = new Stat();
      checkEq(alice, c.getACL("/jct/acl", st), "getACL");
      checkEq(0, st.getAversion(), "aversion");
      List<ACL> shared = Arrays.asList(new ACL(Perms.READ, Ids.ANYONE_ID_UNSAFE),
          new ACL(Perms.ALL, new Id("digest", digest)));
      checkEq(1, c.setACL("/jct/acl", shared, 0).getAversion(), "setACL aversion");
      expect(KeeperException.BadVersionException.class, "setACL with a stale aversion",
          () -> c.setACL("/jct/acl", shared, 0));
      checkEq("secret", s(a.getData("/jct/acl", false, null)), "world-readable getData");
      expect(KeeperException.NoAuthException.class, "setData with READ only",
          () -> a.setData("/jct/acl", b("x"), -1));
      checkEq(shared, c.getACL("/jct/acl", null), "getACL with ADMIN");
      // Without ADMIN, ZooKeeper (FinalRequestProcessor, getACL) shows a
      // digest id as "user:x", not the password hash.
      checkEq(Arrays.asList(shared.get(0), new ACL(Perms.ALL, new Id("digest", "alice:x"))),
          a.getACL("/jct/acl", null), "getACL with READ but not ADMIN");

      step = "auth ACL";
      expect(KeeperException.InvalidACLException.class, "CREATOR_ALL_ACL without auth",
          () -> a.create("/jct/mine", b(""), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
      c.create("/jct/mine", b(""), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
      checkEq(alice, c.getACL("/jct/mine", null), "CREATOR_ALL_ACL becomes the creator's digest");

      step = "READ on listings";
      // FinalRequestProcessor checks READ on the node for getChildren,
      // getChildren2 and getAllChildrenNumber, before it sets any watch;
      // exists is not checked; getEphemerals lists only the caller's own
      // ephemerals, so it needs no check.
      c.create("/jct/priv", b(""), alice, CreateMode.PERSISTENT);
      c.create("/jct/priv/k", b(""), OPEN, CreateMode.PERSISTENT);
      c.create("/jct/priv/e", b(""), OPEN, CreateMode.EPHEMERAL);
      Events kids = new Events();
      expect(KeeperException.NoAuthException.class, "getChildren without READ",
          () -> a.getChildren("/jct/priv", kids));
      expect(KeeperException.NoAuthException.class, "getChildren2 without READ",
          () -> a.getChildren("/jct/priv", false, new Stat()));
      expect(KeeperException.NoAuthException.class, "getAllChildrenNumber without READ",
          () -> a.getAllChildrenNumber("/jct/priv"));
      checkEq(2, a.exists("/jct/priv", false).getNumChildren(), "exists without READ");
      checkEq(Collections.emptyList(), a.getEphemerals("/jct/priv"),
          "getEphemerals: not another session's");
      checkEq(Collections.singletonList("/jct/priv/e"), c.getEphemerals("/jct/priv"),
          "getEphemerals: the caller's own");
      checkEq(2, c.getAllChildrenNumber("/jct/priv"), "getAllChildrenNumber with READ");
      checkEq(Arrays.asList("e", "k"), sorted(c.getChildren("/jct/priv", false)),
          "getChildren with READ");
      checkEq("", s(a.getData("/jct/priv/k", false, null)), "a readable child of an unreadable node");
      c.create("/jct/priv/k2", b(""), OPEN, CreateMode.PERSISTENT);
      kids.expectNone(a, "a getChildren refused for NoAuth left no watch");
    } finally {
      c.close();
    }
  }

  static void asyncCalls(Zk a) throws Exception {
    step = "sync";
    CountDownLatch synced = new CountDownLatch(1);
    List<Object> got = Collections.synchronizedList(new ArrayList<>());
    a.sync("/jct", (rc, path, ctx) -> {
      got.addAll(Arrays.asList(rc, path, ctx));
      synced.countDown();
    }, "sync-ctx");
    check(synced.await(WAIT_S, TimeUnit.SECONDS), "sync callback");
    checkEq(Arrays.asList(0, "/jct", "sync-ctx"), got, "sync callback arguments");

    step = "async calls";
    int n = 20;
    CountDownLatch done = new CountDownLatch(n + 2);
    List<String> names = Collections.synchronizedList(new ArrayList<>());
    AsyncCallback.Create2Callback created = (rc, path, ctx, name, stat) -> {
      names.add(rc + " " + name + " " + ctx + " " + (stat != null && stat.getVersion() == 0));
      done.countDown();
    };
    a.create("/jct/async", b(""), OPEN, CreateMode.PERSISTENT, created, "parent");
    for (int i = 0; i < n; i++) {
      a.create("/jct/async/n-", b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL, created, i);
    }
    List<Object> data = Collections.synchronizedList(new ArrayList<>());
    a.getData("/jct/nope", false, (rc, path, ctx, bytes, stat) -> {
      data.addAll(Arrays.asList(rc, path, ctx, bytes == null, stat == null));
      done.countDown();
    }, "get-ctx");
    check(done.await(WAIT_S, TimeUnit.SECONDS), "async callbacks: " + names.size() + " of " + n);
    checkEq("0 /jct/async parent true", names.get(0), "async create");
    for (int i = 0; i < n; i++) {
      checkEq(String.format("0 /jct/async/n-%010d %d true", i, i), names.get(i + 1),
          "async sequential creates answer in order");
    }
    checkEq(Arrays.asList(Code.NONODE.intValue(), "/jct/nope", "get-ctx", true, true), data,
        "async getData of a missing node");
  }

  static void persistentWatches(Zk a, Zk b) throws Exception {
    step = "addWatch PERSISTENT_RECURSIVE";
    Events r = new Events();
    a.create("/jct/r", b(""), OPEN, CreateMode.PERSISTENT);
    a.addWatch("/jct/r", r, AddWatchMode.PERSISTENT_RECURSIVE);
    b.create("/jct/r/a", b(""), OPEN, CreateMode.PERSISTENT);
    b.create("/jct/r/a/b", b(""), OPEN, CreateMode.PERSISTENT);
    b.setData("/jct/r/a/b", b("1"), -1);
    b.setData("/jct/r/a/b", b("2"), -1);
    b.delete("/jct/r/a/b", -1);
    b.setData("/jct/r", b("1"), -1);
    r.expect(EventType.NodeCreated, "/jct/r/a", "recursive watch");
    r.expect(EventType.NodeCreated, "/jct/r/a/b", "recursive watch, grandchild");
    r.expect(EventType.NodeDataChanged, "/jct/r/a/b", "recursive watch, setData");
    r.expect(EventType.NodeDataChanged, "/jct/r/a/b", "recursive watch stays");
    r.expect(EventType.NodeDeleted, "/jct/r/a/b", "recursive watch, delete");
    r.expect(EventType.NodeDataChanged, "/jct/r", "recursive watch, its own node");
    r.expectNone(a, "recursive watch sends no NodeChildrenChanged");

    step = "addWatch PERSISTENT";
    Events p = new Events();
    a.addWatch("/jct/pw", p, AddWatchMode.PERSISTENT);
    b.create("/jct/pw", b(""), OPEN, CreateMode.PERSISTENT);
    b.create("/jct/pw/c", b(""), OPEN, CreateMode.PERSISTENT);
    b.setData("/jct/pw/c", b("1"), -1);
    b.setData("/jct/pw", b("1"), -1);
    b.setData("/jct/pw", b("2"), -1);
    p.expect(EventType.NodeCreated, "/jct/pw", "persistent watch");
    p.expect(EventType.NodeChildrenChanged, "/jct/pw", "persistent watch, child");
    p.expect(EventType.NodeDataChanged, "/jct/pw", "persistent watch, setData");
    p.expect(EventType.NodeDataChanged, "/jct/pw", "persistent watch stays");
    p.expectNone(a, "persistent watch ignores a child's data");

    step = "removeWatches";
    a.removeWatches("/jct/r", r, Watcher.WatcherType.Any, false);
    WatchedEvent removed = r.queue.poll(WAIT_S, TimeUnit.SECONDS);
    check(removed != null && removed.getType() == EventType.PersistentWatchRemoved,
        "removeWatches tells the watcher: " + removed);
    b.create("/jct/r/after", b(""), OPEN, CreateMode.PERSISTENT);
    r.expectNone(a, "no events after removeWatches");
    expect(KeeperException.NoWatcherException.class, "removeWatches of a removed watcher",
        () -> a.removeWatches("/jct/r", r, Watcher.WatcherType.Any, false));
  }

  static void counts(Zk a, Zk b) throws Exception {
    step = "getEphemerals";
    checkEq(Arrays.asList("/jct/e", "/jct/seq/q-0000000002"), sorted(a.getEphemerals()),
        "getEphemerals");
    checkEq(Collections.singletonList("/jct/seq/q-0000000002"), a.getEphemerals("/jct/seq"),
        "getEphemerals with a prefix");
    checkEq(Collections.emptyList(), b.getEphemerals(), "getEphemerals of a session without any");

    step = "getAllChildrenNumber";
    checkEq(3, a.getAllChildrenNumber("/jct/seq"), "getAllChildrenNumber(/jct/seq)");
    for (String p : new String[] {"/jct/t", "/jct/t/x", "/jct/t/x/y", "/jct/t/x/y/z", "/jct/t/w"}) {
      b.create(p, b(""), OPEN, CreateMode.PERSISTENT);
    }
    fence(a);  // a's server may lag behind b's writes (ZooKeeper's read rule)
    checkEq(4, a.getAllChildrenNumber("/jct/t"), "getAllChildrenNumber(/jct/t)");
    checkEq(0, a.getAllChildrenNumber("/jct/p"), "getAllChildrenNumber of a leaf");
    expect(KeeperException.NoNodeException.class, "getAllChildrenNumber of a missing node",
        () -> a.getAllChildrenNumber("/jct/nope"));
  }

  // ---- the leader kill ----

  // An ordinary client's retry: a request in flight when the connection
  // dropped fails with ConnectionLoss and is sent again.
  static void retrying(String what, Call write) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (true) {
      try {
        write.run();
        return;
      } catch (KeeperException.ConnectionLossException e) {
        check(System.nanoTime() < deadline, what + ": still ConnectionLoss after " + WAIT_S + " s");
        Thread.sleep(100);
      }
    }
  }

  static void survives(Zk zk, String name, String eph, Zk observer) throws Exception {
    step = "after the leader kill: " + name;
    long sid = zk.getSessionId();
    retrying(name + " setData", () -> zk.setData("/jct/survive", b(name), -1));
    retrying(name + " create", () -> {
      try {
        zk.create("/jct/survive/after-" + name, b(""), OPEN, CreateMode.PERSISTENT);
      } catch (KeeperException.NodeExistsException e) {
        // created by an attempt that lost its connection before the reply
      }
    });
    zk.states.awaitConnected(name);
    checkEq(sid, zk.getSessionId(), name + " keeps its session id");
    check(!zk.states.seen.contains(KeeperState.Expired), name + " saw no expiry: "
        + zk.states.seen);
    checkEq(Collections.singletonList(eph), zk.getEphemerals("/jct/survive"),
        name + "'s ephemerals");
    Stat st = observer.exists(eph, false);
    check(st != null, name + "'s ephemeral " + eph + " is still there");
    checkEq(sid, st.getEphemeralOwner(), name + "'s ephemeral's owner");
    check(observer.exists("/jct/survive/after-" + name, false) != null,
        name + "'s write after the kill is visible");
  }

  static void leaderKill(Zk a, String hosts, String leader) throws Exception {
    step = "before the leader kill";
    a.create("/jct/survive", b(""), OPEN, CreateMode.PERSISTENT);
    a.create("/jct/survive/a", b(""), OPEN, CreateMode.EPHEMERAL);
    // A second session that starts on the leader, so one session surely
    // loses its server; `a` sits wherever the client's shuffle put it.
    List<InetSocketAddress> order = new ArrayList<>();
    order.add(addr(leader));
    for (String h : hosts.split(",")) {
      if (!h.equals(leader)) {
        order.add(addr(h));
      }
    }
    StateWatcher pinnedStates = new StateWatcher();
    Zk pinned = new Zk(hosts, pinnedStates, new InOrderHostProvider(order));
    try {
      pinnedStates.awaitConnected("connect to the leader");
      pinned.create("/jct/survive/pinned", b(""), OPEN, CreateMode.EPHEMERAL);
      String aWas = a.remote();
      String pinnedWas = pinned.remote();
      checkEq(leader, pinnedWas, "the pinned session's server");

      step = "leader kill";
      System.out.println("KILL-LEADER a on " + aWas + ", pinned on " + pinnedWas);
      System.out.flush();
      String reply = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
          .readLine();
      check(reply != null && reply.startsWith("killed "), "driver's reply: " + reply);
      String killed = reply.substring("killed ".length()).trim();

      Zk observer = connect(hosts);
      try {
        survives(a, "a", "/jct/survive/a", observer);
        survives(pinned, "pinned", "/jct/survive/pinned", observer);
      } finally {
        observer.close();
      }
      if (pinnedWas.equals(killed)) {
        check(!pinned.remote().equals(killed), "pinned moved off the killed server");
        check(pinnedStates.seen.contains(KeeperState.Disconnected),
            "pinned saw Disconnected: " + pinnedStates.seen);
      }
      System.out.println("leader kill: killed " + killed + "; a was on " + aWas + ", now on "
          + a.remote() + " (states " + a.states.seen + "); pinned was on " + pinnedWas
          + ", now on " + pinned.remote() + " (states " + pinnedStates.seen + ")");
    } finally {
      pinned.close();
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: JavaClientTest CONNECT_STRING LEADER_HOST:PORT");
      System.exit(2);
    }
    String hosts = args[0];
    int code = 0;
    Zk a = null;
    Zk b = null;
    try {
      a = connect(hosts);
      b = connect(hosts);
      creates(a, b);
      versions(a);
      watches(a, b);
      deletes(a);
      multis(a);
      asyncCalls(a);
      persistentWatches(a, b);
      counts(a, b);
      leaderKill(a, hosts, args[1]);
      acls(a, hosts);  // on the session that lived through the kill
      System.out.println("ok: ZooKeeper's Java client (creates of every mode, versions, watches,"
          + " deletes, multi, sync, async calls, persistent watches, getEphemerals,"
          + " getAllChildrenNumber, a leader kill, ACLs, whoAmI)");
    } catch (Failure f) {
      System.out.println("FAIL: [" + step + "] " + f.getMessage());
      code = 1;
    } catch (Exception e) {
      System.out.println("FAIL: [" + step + "] unexpected " + e);
      e.printStackTrace(System.out);
      code = 1;
    } finally {
      if (a != null) {
        a.close();
      }
      if (b != null) {
        b.close();
      }
    }
    System.out.flush();
    System.exit(code);
  }
}
