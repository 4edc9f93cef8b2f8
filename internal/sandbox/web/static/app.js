// The sandbox's client: it shows what the server renders from the emulator's
// state, refetching whenever the emulator reports a change, and turns what
// the user does into the requests that deliver real envelopes to the bot.
'use strict';

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  const el = {
    sidebar: $('#sidebar'), header: $('#header'), messages: $('#messages'),
    composer: $('#composer'), compose: $('#compose'), user: $('#as-user'),
    composeError: $('#compose-error'), threadChip: $('#thread-chip'),
    conn: $('#conn'), modalOverlay: $('#modal-overlay'),
    fileOverlay: $('#file-overlay'), fileTitle: $('#file-title'), fileBody: $('#file-body'),
  };

  const S = {
    user: '', channel: '', seen: {}, first: true,
    gen: 0, // bumped when the user switches channel or user
    openThreads: new Set(), replyTo: '',
    modalID: '', modalHTML: '', html: {},
    fetching: false, again: false,
  };

  // Start from the address: #CHANNEL and ?as=USER make a view shareable.
  const params = new URLSearchParams(location.search);
  S.user = params.get('as') || el.user.value;
  el.user.value = S.user;
  S.channel = decodeURIComponent(location.hash.slice(1)) || document.body.dataset.announce || '';

  async function post(path, payload) {
    const res = await fetch(path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload),
    });
    let data = {};
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  // refresh fetches the state; changes that arrive meanwhile cause one more
  // fetch, so the page never misses the last one.
  async function refresh() {
    if (S.fetching) { S.again = true; return; }
    S.fetching = true;
    try {
      do {
        S.again = false;
        const gen = S.gen;
        const q = new URLSearchParams({ user: S.user, channel: S.channel });
        const res = await fetch('/api/state?' + q);
        const st = res.ok ? await res.json() : null;
        // A switch of channel or user while this was on its way makes it
        // stale: drop it, the loop fetches the new view.
        if (gen !== S.gen) S.again = true;
        else if (st) apply(st);
      } while (S.again);
    } catch (e) {
      showConnection(false, 'sandbox unreachable');
    } finally {
      S.fetching = false;
    }
  }

  // setHTML brings node's children in line with html by morphing the DOM
  // in place, so that what did not change keeps its identity: hover, focus,
  // an open menu or thread, and the element a click is landing on.
  function setHTML(key, node, html) {
    if (S.html[key] === html) return false;
    S.html[key] = html;
    const next = document.createElement('template');
    next.innerHTML = html;
    morphChildren(node, next.content);
    return true;
  }

  // key identifies a message or a channel entry across renders.
  function key(n) {
    return n.nodeType === Node.ELEMENT_NODE ? (n.getAttribute('data-ts') || n.getAttribute('data-channel') || '') : '';
  }

  function morph(from, to) {
    if (from.nodeType !== to.nodeType || from.nodeName !== to.nodeName || key(from) !== key(to)) {
      from.replaceWith(to);
      return;
    }
    if (from.nodeType !== Node.ELEMENT_NODE) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    const wasSelected = from.nodeName === 'OPTION' && from.hasAttribute('selected');
    for (const a of Array.from(from.attributes)) {
      // A thread's open state is the reader's, not the server's.
      if (a.name === 'open' && from.nodeName === 'DETAILS') continue;
      if (!to.hasAttribute(a.name)) from.removeAttribute(a.name);
    }
    for (const a of Array.from(to.attributes)) {
      if (from.getAttribute(a.name) !== a.value) from.setAttribute(a.name, a.value);
    }
    // The message now shows another choice (the bot changed it): show it,
    // even in a menu the user already touched.
    if (from.nodeName === 'OPTION' && wasSelected !== to.hasAttribute('selected')) from.selected = to.hasAttribute('selected');
    morphChildren(from, to);
  }

  function morphChildren(from, to) {
    const a = Array.from(from.childNodes);
    const b = Array.from(to.childNodes);
    b.forEach((n, i) => { if (i < a.length) morph(a[i], n); else from.appendChild(n); });
    for (let i = b.length; i < a.length; i++) a[i].remove();
  }

  function showConnection(ok, text) {
    el.conn.dataset.connected = String(ok);
    el.conn.textContent = text;
  }

  function apply(st) {
    const switched = st.channel !== S.channel || st.user !== S.user;
    S.user = st.user;
    S.channel = st.channel;
    el.user.value = S.user;
    const url = new URL(location.href);
    url.searchParams.set('as', S.user);
    url.hash = S.channel;
    history.replaceState(null, '', url);
    showConnection(st.connected, st.connected ? 'incidentbot connected' : 'waiting for incidentbot to connect…');

    setHTML('sidebar', el.sidebar, st.sidebar);
    markUnread();
    setHTML('header', el.header, st.header);

    const box = el.messages;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    if (setHTML('messages', box, st.messages)) {
      $$('details.thread', box).forEach((d) => { if (S.openThreads.has(d.dataset.thread)) d.open = true; });
      if (atBottom || switched) box.scrollTop = box.scrollHeight;
    }

    const home = st.kind === 'home';
    el.compose.disabled = home;
    el.compose.placeholder = home ? 'The Home tab has no composer' : st.placeholder;
    showModal(st.modal);
  }

  function markUnread() {
    $$('a.chan[data-channel]', el.sidebar).forEach((a) => {
      const id = a.dataset.channel;
      const latest = a.dataset.latest || '';
      if (S.first || id === S.channel) S.seen[id] = latest;
      a.classList.toggle('unread', latest !== '' && latest !== (S.seen[id] || ''));
    });
    S.first = false;
  }

  // Modals keep what the user typed when the same view is shown again (with
  // errors, say), as Slack does.
  function showModal(m) {
    const overlay = el.modalOverlay;
    if (!m) {
      overlay.hidden = true;
      overlay.innerHTML = '';
      S.modalID = S.modalHTML = '';
      return;
    }
    if (m.id === S.modalID && m.html === S.modalHTML) return;
    const sameView = m.id === S.modalID;
    const kept = sameView ? formValues($('form.modal', overlay)) : null;
    overlay.innerHTML = m.html;
    overlay.hidden = false;
    S.modalID = m.id;
    S.modalHTML = m.html;
    const form = $('form.modal', overlay);
    if (kept) restoreValues(form, kept);
    else {
      const first = $('input, textarea, select', form);
      if (first) first.focus();
    }
    const err = $('.bk-input.has-error .bk-field-input, .bk-input.has-error input', form);
    if (err) err.focus();
  }

  function formValues(form) {
    const out = {};
    if (!form) return out;
    $$('[data-kind]', form).forEach((f) => {
      const name = f.name || f.dataset.name;
      switch (f.dataset.kind) {
        case 'text': out[name] = f.value; break;
        case 'multi': out[name] = Array.from(f.selectedOptions).map((o) => o.value); break;
        case 'checkboxes': out[name] = $$('input:checked', f).map((i) => i.value); break;
        case 'radio': { const c = $('input:checked', f); out[name] = c ? c.value : ''; break; }
      }
    });
    return out;
  }

  function restoreValues(form, values) {
    $$('[data-kind]', form).forEach((f) => {
      const name = f.name || f.dataset.name;
      if (!(name in values)) return;
      const v = values[name];
      switch (f.dataset.kind) {
        case 'text': f.value = v; break;
        case 'multi': Array.from(f.options).forEach((o) => { o.selected = v.includes(o.value); }); break;
        case 'checkboxes': $$('input', f).forEach((i) => { i.checked = v.includes(i.value); }); break;
        case 'radio': $$('input', f).forEach((i) => { i.checked = i.value === v; }); break;
      }
    });
  }

  // submittedValues are what Slack's client sends: only the inputs the user
  // filled in.
  function submittedValues(form) {
    const out = {};
    for (const [k, v] of Object.entries(formValues(form))) {
      if (Array.isArray(v) ? v.length > 0 : v !== '') out[k] = v;
    }
    return out;
  }

  function switchChannel(id) {
    if (!id) return;
    S.channel = id;
    S.gen++;
    setReply('');
    showError('');
    if (id === 'home') {
      post('/api/home', { user: S.user }).catch((e) => showError(e.message));
    }
    refresh();
  }

  function setReply(ts) {
    S.replyTo = ts;
    el.threadChip.hidden = !ts;
    if (ts) el.compose.focus();
  }

  function showError(msg) {
    el.composeError.textContent = msg;
    el.composeError.hidden = !msg;
  }

  async function act(node, payload, path) {
    node.disabled = true;
    try {
      await post(path, payload);
      showError('');
    } catch (e) {
      showError(e.message);
    } finally {
      node.disabled = false;
    }
  }

  function msgOf(node) {
    const m = node.closest('.msg');
    return m ? { channel: m.dataset.channel, ts: m.dataset.ts } : null;
  }

  el.sidebar.addEventListener('click', (ev) => {
    const a = ev.target.closest('a.chan');
    if (!a) return;
    ev.preventDefault();
    switchChannel(a.dataset.channel);
  });

  el.header.addEventListener('click', (ev) => {
    const a = ev.target.closest('a.channel-link');
    if (a) { ev.preventDefault(); switchChannel(a.dataset.channel); }
  });

  el.messages.addEventListener('click', (ev) => {
    const t = ev.target;
    const link = t.closest('a.channel-link');
    if (link) { ev.preventDefault(); switchChannel(link.dataset.channel); return; }
    const file = t.closest('.file-card');
    if (file) { openFile(file.dataset.file); return; }
    const m = msgOf(t);
    if (!m) return;
    const button = t.closest('button[data-act="button"]');
    if (button) {
      act(button, { user: S.user, channel: m.channel, ts: m.ts, kind: 'button', action_id: button.dataset.actionId, value: button.dataset.value }, '/api/action');
      return;
    }
    const react = t.closest('button[data-react]');
    if (react) {
      act(react, { user: S.user, channel: m.channel, ts: m.ts, name: react.dataset.react }, '/api/react');
      return;
    }
    const shortcut = t.closest('button[data-shortcut]');
    if (shortcut) {
      act(shortcut, { user: S.user, channel: m.channel, ts: m.ts, callback_id: shortcut.dataset.shortcut }, '/api/shortcut');
      return;
    }
    if (t.closest('button[data-reply]')) {
      const thread = t.closest('details.thread');
      setReply(thread ? thread.dataset.thread : m.ts);
    }
  });

  el.messages.addEventListener('change', (ev) => {
    const sel = ev.target.closest('select[data-act]');
    if (!sel || sel.value === '') return;
    const m = msgOf(sel);
    act(sel, { user: S.user, channel: m.channel, ts: m.ts, kind: sel.dataset.act, action_id: sel.dataset.actionId, value: sel.value }, '/api/action');
  });

  // toggle does not bubble: listen in the capture phase.
  el.messages.addEventListener('toggle', (ev) => {
    const d = ev.target;
    if (!d.matches || !d.matches('details.thread')) return;
    if (d.open) S.openThreads.add(d.dataset.thread);
    else S.openThreads.delete(d.dataset.thread);
  }, true);

  el.user.addEventListener('change', () => {
    S.user = el.user.value;
    S.gen++;
    setReply('');
    showError('');
    refresh();
  });

  $('#thread-cancel').addEventListener('click', () => setReply(''));

  el.composer.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = el.compose.value.trim();
    if (!text) return;
    let path = '/api/message';
    const payload = { user: S.user, channel: S.channel, text };
    if (text.startsWith('/')) {
      if (S.replyTo) { showError('Slash commands cannot be used in threads.'); return; }
      path = '/api/slash';
    } else if (S.replyTo) {
      payload.thread_ts = S.replyTo;
    }
    el.compose.disabled = true;
    try {
      await post(path, payload);
      el.compose.value = '';
      showError('');
      if (S.replyTo) S.openThreads.add(S.replyTo);
      setReply('');
    } catch (e) {
      showError(e.message);
    } finally {
      el.compose.disabled = S.channel === 'home';
      el.compose.focus();
    }
  });

  el.modalOverlay.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target.closest('form.modal');
    const submit = $('button[type="submit"]', form);
    const errorBox = $('.modal-error', form);
    if (submit) submit.disabled = true;
    try {
      await post('/api/view/submit', { user: S.user, view: form.dataset.viewId, values: submittedValues(form) });
      errorBox.hidden = true;
    } catch (e) {
      errorBox.textContent = e.message;
      errorBox.hidden = false;
    } finally {
      if (submit) submit.disabled = false;
    }
  });

  el.modalOverlay.addEventListener('click', (ev) => {
    const close = ev.target.closest('[data-close]');
    if (!close) return;
    const form = close.closest('form.modal');
    post('/api/view/close', { user: S.user, view: form.dataset.viewId }).catch((e) => {
      const box = $('.modal-error', form);
      box.textContent = e.message;
      box.hidden = false;
    });
  });

  async function openFile(id) {
    try {
      const res = await fetch('/api/file?' + new URLSearchParams({ id, user: S.user }));
      const f = await res.json();
      if (!res.ok) throw new Error(f.error || res.statusText);
      el.fileTitle.textContent = f.title || f.name;
      el.fileBody.innerHTML = f.html; // rendered and escaped by the server
      el.fileOverlay.hidden = false;
    } catch (e) {
      showError(e.message);
    }
  }

  function closeFile() {
    el.fileOverlay.hidden = true;
    el.fileBody.innerHTML = '';
  }
  $('#file-close').addEventListener('click', closeFile);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !el.fileOverlay.hidden) closeFile();
  });

  const events = new EventSource('/api/events');
  events.onmessage = () => refresh();
  events.onopen = () => refresh();
  events.onerror = () => showConnection(false, 'reconnecting to the sandbox…');

  refresh();
})();
