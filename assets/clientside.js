/* Glimpse: clientside callbacks (dashboard/callbacks.py wires them). They hold pure page
   state, so a click that only moves the selection, switches a tab or updates the address
   costs no server round trip; the server is asked only for what it alone computes.

   Every Dash callback costs the renderer work for each component of the page, and Dash
   holds a callback back while another pending one may still change its inputs. So a
   thumbnail click runs `pick` (the selection, the visible tab's view, the address and the
   ring at once), then in parallel the server's sample panel and visible tab. */
(function () {
  var dc = window.dash_clientside = window.dash_clientside || {};
  var lastPick = 0;   // n_clicks_timestamp of the last thumbnail click handled
  var GRID_COLUMNS = 8;   // dashboard/samples.py GRID_COLUMNS

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  /* the deep link of a view; dashboard/urls.py format_search writes the same */
  function address(state, tab, method, compare, extras) {
    var q = new URLSearchParams();
    q.set('model', state.model);
    q.set('sample', String(state.sample));
    if (tab) q.set('tab', tab);
    if (tab === 'gradients') {
      if (method) q.set('method', method);
      if (compare && compare !== 'none') q.set('compare', compare);
    }
    // the rest of the view: the explained class, the tab's controls (assets/link.js `extras`)
    Object.keys(extras || {}).forEach(function (k) { q.set(k, extras[k]); });
    // presentation mode's list (assets/present.js), so a step or a reload stays presenting
    var present = dc.glimpse_present && dc.glimpse_present.link && dc.glimpse_present.link();
    Object.keys(present || {}).forEach(function (k) { q.set(k, present[k]); });
    return '?' + q.toString();
  }

  /* the ring over the selected thumbnail; dashboard/samples.py ring_style places it the same */
  function ring(position) {
    if (position < 0) return {display: 'none'};
    return {gridRow: (Math.floor(position / GRID_COLUMNS) + 1) + ' / span 1',
            gridColumn: (position % GRID_COLUMNS + 1) + ' / span 1'};
  }

  /* the visible tab's view when it differs from the one it last rendered, else no_update */
  function tabViews(state, tab, target, tabKeys, views) {
    var all = {model: state.model, sample: state.sample, target: target};
    return tabKeys.map(function (tk, i) {
      if (tk[0] !== tab) return dc.no_update;
      var view = {};
      tk[1].forEach(function (k) { view[k] = all[k]; });
      return same(view, views[i]) ? dc.no_update : view;
    });
  }

  /* what follows from a new selection: the address (deep link), and the ring over its
     thumbnail when the page shows it, else a request to the server's browser for the page
     that does (FOLLOW). [search, follow, ring] */
  function follows(state, tab, method, compare, extras, search, applied, shown) {
    var nu = dc.no_update, url = applied ? address(state, tab, method, compare, extras) : search;
    var at = (shown && shown.model === state.model && shown.kind === 'image') ? shown.ids.indexOf(state.sample) : -1;
    if (at >= 0) return [url === search ? nu : url, nu, ring(at)];
    return [url === search ? nu : url, {model: state.model, sample: state.sample},
            (shown && shown.kind === 'image') ? ring(-1) : nu];
  }

  function noteStyle(level) { return level === 'model' ? {display: 'none'} : {}; }

  dc.glimpse = {
    /* the level switch ('This sample' / 'The whole model') and the tab follow each other:
       a level chosen shows the tab last seen there (else its first), a tab chosen (a link,
       a click in a model view) shows its level. Outputs: level, tab, the tab row's class
       (dashboard/layout.py: CSS shows one level's headers), the last tab per level, and the
       style of the note on what the per-sample tabs explain (hidden at the model level). */
    level: function (level, tab, tabLevels, lastTabs) {
      var nu = dc.no_update, last = Object.assign({}, lastTabs || {});
      if (dc.callback_context.triggered_id === 'page-level') {
        var next = last[level] || Object.keys(tabLevels).filter(function (t) { return tabLevels[t] === level; })[0];
        if (!next) return [nu, nu, nu, nu, nu];
        last[level] = next;
        return [nu, next === tab ? nu : next, 'level-' + level, last, noteStyle(level)];
      }
      var at = tabLevels[tab] || 'sample';
      last[at] = tab;
      return [at === level ? nu : at, nu, 'level-' + at, last, noteStyle(at)];
    },

    /* the one writer of the selection: a thumbnail or table click, or a selection the
       server made (a link, the model picker, prev/next, an upload: REQUEST). It writes the
       visible tab's view too, so that tab's request leaves at once, beside the sample
       panel's. Timestamps, not n_clicks: a new page of thumbnails re-fires this with every
       count at 0. And what follows from a new selection (`follows`), here rather than in a
       callback of its own: each callback in a click's chain costs the renderer work for every
       component of the page. Outputs: selection, the views, search, follow, ring. */
    pick: function (stamps, activeCell, request, state, tab, target, tabKeys, method, compare, extras, search,
                    applied, shown) {
      var nu = dc.no_update, none = [nu].concat(tabKeys.map(function () { return nu; }), [nu, nu, nu]);
      var views = Array.prototype.slice.call(arguments, 13);
      var trig = dc.callback_context.triggered_id, next = null;
      if (trig === 'selection-request') {
        if (!request) return none;
        next = {model: request.model, sample: request.sample};
      } else if (!state) {
        return none;
      } else if (trig === 'sample-table') {
        if (!activeCell || activeCell.row_id === undefined || activeCell.row_id === null) return none;
        next = {model: state.model, sample: Number(activeCell.row_id)};
      } else {
        var thumbs = dc.callback_context.inputs_list[0] || [];
        var best = -1, at = -1;
        (stamps || []).forEach(function (t, i) { if (t && t > best) { best = t; at = i; } });
        if (at < 0 || best <= lastPick) return none;
        lastPick = best;
        next = {model: state.model, sample: thumbs[at].id.index};
      }
      if (state && state.model === next.model && state.sample === next.sample) return none;
      return [next].concat(tabViews(next, tab, target, tabKeys, views),
                           follows(next, tab, method, compare, extras, search, applied, shown));
    },

    /* a tab switch or another target class: the visible tab's panel, and its view when
       that differs from what it last rendered (switching back to a tab that is up to
       date asks the server nothing). Outputs: 5 panel styles, 5 views. */
    route: function (tab, target, state, tabKeys) {
      // then 5 views, then 5 panel styles as they are: only the two panels that change are
      // written (every write re-renders a panel)
      var n = tabKeys.length, rest = Array.prototype.slice.call(arguments, 4);
      var views = rest.slice(0, n), shown = rest.slice(n, 2 * n);
      var styles = tabKeys.map(function (tk, i) {
        var visible = !(shown[i] && shown[i].display === 'none');
        if (tk[0] === tab) return visible && shown[i] !== undefined && shown[i] !== null ? dc.no_update : {};
        return visible ? {display: 'none'} : dc.no_update;
      });
      var out = state ? tabViews(state, tab, target, tabKeys, views) : tabKeys.map(function () { return dc.no_update; });
      return styles.concat(out);
    },

    /* the address after a tab, method or control change (a new selection's is `pick`'s) */
    sync: function (tab, method, compare, extras, state, search, applied) {
      if (!state || !applied) return dc.no_update;
      var url = address(state, tab, method, compare, extras);
      return url === search ? dc.no_update : url;
    }
  };
})();
