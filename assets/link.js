/* Glimpse: the controls that define the view, as address parameters (dashboard/link_state.py
   reads them back). assets/clientside.js `sync` adds them to the address. Only the visible
   tab's controls are written (and the explained class whenever it is not the predicted one). */
(function () {
  var dc = window.dash_clientside = window.dash_clientside || {};
  var SIMPLE = ['lime_samples', 'lime_kernel', 'lime_patch', 'depth', 'wview', 'wunit'];   // link_state.SIMPLE, in order

  /* a value into the address, unless it is the control's default (link_state.defaults) */
  function put(q, key, value, fallback) {
    if (value === null || value === undefined || value === '') return;
    if (Array.isArray(value)) value = value.length ? '1' : '0';          // a checkbox: ['on'] or []
    value = String(value);
    if (fallback !== undefined && fallback !== null && value === String(fallback)) return;
    q[key] = value;
  }

  function params(q, slot, method, controlIds, values, defaults) {
    var own = ((defaults || {}).params || {})[method] || {};
    (controlIds || []).forEach(function (id, i) {
      if (id.method === method) put(q, slot + '.' + id.name, (values || [])[i], own[id.name]);
    });
  }

  dc.glimpse_link = {
    /* Outputs: {key: value} for the address. Inputs: tab, target, the two methods, their
       parameter values, the channel view, the two layer pickers, LIME's three numbers and the
       tree's depth, the defaults; then the parameter controls' ids. */
    extras: function (tab, target, methodA, methodB, valuesA, valuesB, channels, actLayer, weightLayer) {
      var rest = Array.prototype.slice.call(arguments, 9);
      var simple = rest.slice(0, SIMPLE.length), d = rest[SIMPLE.length] || {};
      var idsA = rest[SIMPLE.length + 1], idsB = rest[SIMPLE.length + 2];
      var q = {};
      if (target !== null && target !== undefined && target !== 'predicted') put(q, 'target', target);
      if (tab === 'gradients') {
        params(q, 'a', methodA, idsA, valuesA, d);
        if (methodB && methodB !== 'none') params(q, 'b', methodB, idsB, valuesB, d);
        if (channels && channels.indexOf('each') >= 0) q.channels = 'each';
      } else if (tab === 'activations') {
        put(q, 'layer', actLayer, d.layer);
      } else if (tab === 'weights') {
        put(q, 'wlayer', weightLayer, d.wlayer);
        put(q, 'wview', simple[4], d.wview);                        // strongest units / one unit / whole
        if (simple[4] === 'unit') put(q, 'wunit', simple[5], d.wunit);
      } else if (tab === 'lime') {
        SIMPLE.slice(0, 3).forEach(function (k, i) { put(q, k, simple[i], d[k]); });
      } else if (tab === 'tree') {
        put(q, 'depth', simple[3], d.depth);
      }
      return q;
    }
  };
})();
