/* Glimpse: the what-if editor's canvas and store (dashboard/tabs/whatif.py wires it).
   Draw with the mouse, a pen or a finger (pointer events); dark is ink (value 1), as in the
   thumbnails. The pixels go into the 'whatif-input' store at the end of each stroke and,
   during a long stroke, every SEND_MS: the server then predicts and explains the drawing. */
(function () {
  var dc = window.dash_clientside = window.dash_clientside || {};
  var SEND_MS = 250, RADIUS = 1.35, UNDO_MAX = 30;
  var st = {pixels: null, rows: 0, cols: 0, model: null, sample: null, undo: [], erase: false,
            drawing: false, last: null, sent: 0, timer: null};

  function canvas() { return document.getElementById('whatif-canvas'); }

  function repaint() {
    var c = canvas();
    if (!c || !st.pixels) return false;
    var ctx = c.getContext('2d'), img = ctx.createImageData(st.cols, st.rows);
    for (var i = 0; i < st.pixels.length; i++) {
      var g = Math.round(255 * (1 - Math.max(0, Math.min(1, st.pixels[i]))));
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = g;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    return true;
  }

  function send() {
    st.sent = Date.now();
    if (st.timer) { clearTimeout(st.timer); st.timer = null; }
    dc.set_props('whatif-input', {data: {model: st.model, sample: st.sample, values: Array.from(st.pixels),
                                         origin: 'draw'}});
  }

  function stamp(fx, fy) {   // a soft round brush centred on (fx, fy) in pixel units
    var r = Math.ceil(RADIUS);
    for (var y = Math.floor(fy) - r; y <= Math.floor(fy) + r; y++) {
      for (var x = Math.floor(fx) - r; x <= Math.floor(fx) + r; x++) {
        if (x < 0 || y < 0 || x >= st.cols || y >= st.rows) continue;
        var d = Math.hypot(x + 0.5 - fx, y + 0.5 - fy), k = Math.max(0, Math.min(1, (RADIUS - d) / 0.8));
        if (k <= 0) continue;
        var i = y * st.cols + x;
        st.pixels[i] = st.erase ? Math.min(st.pixels[i], 1 - k) : Math.max(st.pixels[i], k);
      }
    }
  }

  function at(e) {
    var c = canvas(), box = c.getBoundingClientRect();
    return [(e.clientX - box.left) / box.width * st.cols, (e.clientY - box.top) / box.height * st.rows];
  }

  function line(a, b) {
    var n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) * 3));
    for (var k = 1; k <= n; k++) stamp(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n);
  }

  document.addEventListener('pointerdown', function (e) {
    if (e.target !== canvas() || !st.pixels) return;
    e.preventDefault();
    e.target.setPointerCapture && e.target.setPointerCapture(e.pointerId);
    st.undo.push(Float32Array.from(st.pixels));
    if (st.undo.length > UNDO_MAX) st.undo.shift();
    st.drawing = true;
    st.last = at(e);
    stamp(st.last[0], st.last[1]);
    repaint();
  });
  document.addEventListener('pointermove', function (e) {
    if (!st.drawing || e.target !== canvas()) return;
    e.preventDefault();
    var p = at(e);
    line(st.last, p);
    st.last = p;
    repaint();
    if (Date.now() - st.sent > SEND_MS && !st.timer) st.timer = setTimeout(send, 0);
  });
  function end() {
    if (!st.drawing) return;
    st.drawing = false;
    send();
  }
  document.addEventListener('pointerup', end);
  document.addEventListener('pointercancel', end);

  document.addEventListener('click', function (e) {
    var id = e.target && e.target.id;
    if (!st.pixels || ['whatif-undo', 'whatif-clear', 'whatif-eraser'].indexOf(id) < 0) return;
    if (id === 'whatif-eraser') {
      st.erase = !st.erase;
      e.target.textContent = st.erase ? 'Erasing (click: draw)' : 'Eraser';
      e.target.classList.toggle('btn-on', st.erase);
      return;
    }
    if (id === 'whatif-undo') {
      if (!st.undo.length) return;
      st.pixels = st.undo.pop();
    } else {
      st.undo.push(Float32Array.from(st.pixels));
      st.pixels = new Float32Array(st.pixels.length);
    }
    repaint();
    send();
  });

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).catch(function () {});
  }

  dc.glimpse_whatif = {
    /* a new sample, a kept edit or a link's edit: paint it (the canvas may still be on its way) */
    paint: function (data) {
      if (!data || !data.values || data.origin === 'draw' || data.origin === 'edit') return dc.no_update;
      st.model = data.model;
      st.sample = data.sample;
      st.pixels = Float32Array.from(data.values);
      st.undo = [];
      var tries = 0;
      (function again() {
        var c = canvas();
        if (c) { st.rows = Number(c.dataset.rows); st.cols = Number(c.dataset.cols); }
        if ((!c || !repaint()) && tries++ < 40) setTimeout(again, 50);
      })();
      return Date.now();
    },
    /* the table's fields: an empty field is null (the server asks for a number) */
    fields: function (values, data) {
      if (!data || !data.model) return dc.no_update;
      var v = (values || []).map(function (x) { return (x === '' || x === undefined || x === null) ? null : Number(x); });
      return {model: data.model, sample: data.sample, values: v, origin: 'edit'};
    },
    keep: function (n, data, kept) {
      if (!n || !data || !data.values) return [dc.no_update, dc.no_update];
      var mine = (kept || []).filter(function (k) { return k.model === data.model; }).length;
      var name = 'edit ' + (mine + 1) + ' of #' + data.sample;
      var next = (kept || []).concat([{model: data.model, sample: data.sample, values: data.values, name: name}]);
      return [next.slice(-20), 'Kept as “' + name + '” in this browser (pick it from “kept edits”).'];
    },
    keptOptions: function (kept, model) {
      return (kept || []).map(function (k, i) { return {label: k.name, value: i, model: k.model}; })
        .filter(function (o) { return o.model === model; }).map(function (o) { return {label: o.label, value: o.value}; });
    },
    pickKept: function (i, kept, data) {
      var k = (kept || [])[i];
      if (i === null || i === undefined || !k) return dc.no_update;
      if (!canvas()) k.values.forEach(function (v, j) { dc.set_props({type: 'whatif-feature', index: j}, {value: v}); });
      return {model: k.model, sample: k.sample, values: k.values, origin: 'kept'};
    },
    copyLink: function (link) {
      if (link) copy(link);
      return 'btn';
    }
  };
})();
