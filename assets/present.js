/* Glimpse: presentation mode (dashboard/share.py wires `present`). Large type, the sample
   and its explanation only; ← / → step through a chosen list of samples (the link's
   ?present=1&samples=3,17,42, else the samples the browser lists), Esc leaves. */
(function () {
  var dc = window.dash_clientside = window.dash_clientside || {};
  var MAX = 500;
  var INITIAL = window.location.search;   // the link as opened (the page rewrites its address later)
  var listed = null;   // the list while presenting: assets/clientside.js `address` keeps it in the link

  /* the link's list: whole numbers >= 0, at most MAX, duplicates dropped; null when absent */
  function linkList(search) {
    var q = new URLSearchParams(search || '');
    if (q.get('present') !== '1') return null;
    var seen = {}, out = [];
    (q.get('samples') || '').split(',').forEach(function (s) {
      s = s.trim();
      if (!/^\d{1,9}$/.test(s)) return;
      var n = Number(s);
      if (!seen[n] && out.length < MAX) { seen[n] = true; out.push(n); }
    });
    return out;
  }

  function setAddress(on, list) {
    listed = on ? list.slice() : null;
    var q = new URLSearchParams(window.location.search);
    if (on) { q.set('present', '1'); q.set('samples', list.join(',')); } else { q.delete('present'); q.delete('samples'); }
    var s = q.toString();
    window.history.replaceState(null, '', window.location.pathname + (s ? '?' + s : ''));
  }

  function badge(p) {
    if (!p || !p.on) return '';
    return 'Sample ' + (p.at + 1) + ' of ' + p.samples.length + ' · ← → step · Esc leaves';
  }

  window.addEventListener('keydown', function (e) {
    if (!document.body.classList.contains('presenting')) return;
    var key = {ArrowRight: 'next', ArrowLeft: 'prev', Escape: 'esc', PageDown: 'next', PageUp: 'prev'}[e.key];
    if (!key || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    e.stopImmediatePropagation();   // the page's own ←/→ (assets/keys.js) step the browser's list
    dc.set_props('present-key', {data: {key: key, t: Date.now()}});
  }, true);

  dc.glimpse_present = {
    /* the link's part while presenting ({present: '1', samples: '3,17,42'}), else null:
       every address the page writes keeps it, so a step or a reload stays in the mode */
    link: function () { return listed ? {present: '1', samples: listed.join(',')} : null; },

    /* Outputs: presentation state, a selection request, the badge. */
    present: function (n, keyEvent, state, search, shown, p) {
      var nu = dc.no_update, trig = dc.callback_context.triggered_id;
      if (!state) return [nu, nu, nu];
      var on = p && p.on;
      if (trig === 'view-state' && !on && !(p && p.started)) {
        var fromLink = linkList(INITIAL);
        if (fromLink === null) return [{started: true}, nu, nu];
        return enter(fromLink, state, shown, true);
      }
      if (trig === 'share-present') return enter(null, state, shown, false);
      if (trig === 'present-key' && on && keyEvent) {
        if (keyEvent.key === 'esc') {
          document.body.classList.remove('presenting');
          setAddress(false);
          return [{on: false, started: true}, nu, ''];
        }
        var at = Math.max(0, Math.min(p.samples.length - 1, p.at + (keyEvent.key === 'next' ? 1 : -1)));
        if (at === p.at) return [nu, nu, nu];
        var next = {on: true, started: true, model: p.model, samples: p.samples, at: at};
        return [next, {model: p.model, sample: p.samples[at]}, badge(next)];
      }
      if (trig === 'view-state' && on && state.model !== p.model) {   // another model: leave
        document.body.classList.remove('presenting');
        setAddress(false);
        return [{on: false, started: true}, nu, ''];
      }
      return [nu, nu, nu];
    }
  };

  function enter(list, state, shown, fromLink) {
    if (!list || !list.length) {
      list = (shown && shown.model === state.model && shown.ids) ? shown.ids.slice(0, MAX) : [];
    }
    if (!list.length) list = [state.sample];
    var at = list.indexOf(state.sample);
    var request = dc.no_update;
    if (at < 0) {
      if (fromLink) { at = 0; request = {model: state.model, sample: list[0]}; }
      else { list = [state.sample].concat(list); at = 0; }
    }
    var p = {on: true, started: true, model: state.model, samples: list, at: at};
    document.body.classList.add('presenting');
    setAddress(true, list);
    return [p, request, badge(p)];
  }
})();
