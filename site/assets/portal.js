/* 医保基金监管门户：表格排序与筛选，页眉中的站内搜索（Pagefind，索引和脚本都在本站 pagefind/ 下）。不访问其他网站。 */
(function () {
  "use strict";

  function cellKey(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) raw = cell.textContent.trim();
    var num = Number(String(raw).replace(/,/g, "").replace(/%$/, ""));
    return raw !== "" && !isNaN(num) ? { n: num } : { s: String(raw) };
  }

  function compare(a, b) {
    if ("n" in a && "n" in b) return a.n - b.n;
    if ("n" in a) return -1;
    if ("n" in b) return 1;
    return a.s.localeCompare(b.s, "zh-CN");
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, column) {
      th.setAttribute("tabindex", "0");
      th.title = "点击排序";
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var d = compare(cellKey(r1.cells[column]), cellKey(r2.cells[column]));
          return ascending ? d : -d;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  }

  function makeFilterable(wrap) {
    var table = wrap.querySelector("table");
    if (!table) return;
    var box = document.createElement("div");
    box.className = "yb-filter";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "筛选：输入编码、名称、类型、日期……";
    input.setAttribute("aria-label", "筛选表格");
    var count = document.createElement("span");
    count.className = "yb-count";
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    count.textContent = "共 " + rows.length + " 行";
    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = words.length ? "显示 " + shown + " / " + rows.length + " 行" : "共 " + rows.length + " 行";
    });
    box.appendChild(input);
    box.appendChild(count);
    wrap.parentNode.insertBefore(box, wrap);
  }

  /* 站内搜索：页眉中的 #yb-search（data-yb-base 是本页到站点根目录的相对路径） */
  function startSearch() {
    var box = document.getElementById("yb-search");
    if (!box || typeof PagefindUI === "undefined") return;
    var root = new URL((box.getAttribute("data-yb-base") || ".") + "/", location.href).pathname;
    /* 大型站点的索引分成几份（pagefind/bundles.json 列出其余几份），查询时合并 */
    fetch(root + "pagefind/bundles.json").then(function (r) { return r.ok ? r.json() : []; })
      .catch(function () { return []; })
      .then(function (others) { makeSearch(box, root, others); });
  }

  /* 查询正好是一个记录编号时，把该记录本身的页面置顶（各份索引分别排序，别处提到该编号的页面可能排在前面）；查询是记录名称的一部分时，置顶名称相符的记录 */
  var MAX_NAMES = 5;
  function pinExactRecord(box, root) {
    var patterns = null;
    var pinned = document.createElement("div");
    pinned.id = "yb-exact";
    pinned.hidden = true;
    var asked = "";
    var lists = {};  /* folder -> promise of the IDs that have a page there */
    function fit() {  /* the results panel starts below the pinned panel */
      box.style.setProperty("--yb-pin", pinned.hidden ? "0px" : pinned.offsetHeight + "px");
    }
    var names = null;  /* promise of [[ID, name, folder], …], fetched at the first Chinese query */
    function byName(query) {
      /* Pagefind 建索引和查询时的中文分词不一致（Pagefind/pagefind#1237），机构全名可能找不到本机构页面：按名称原文匹配后置顶 */
      var wanted = query.replace(/\s+/g, ""), token = asked;
      if (wanted.length < 2 || !/[\u3400-\u9fff]/.test(wanted)) return;
      if (!names) {
        names = fetch(root + "pagefind/record-names.json").then(function (r) { return r.ok ? r.json() : []; })
          .catch(function () { return []; });
      }
      names.then(function (all) {
        if (asked !== token) return;
        var found = all.filter(function (e) { return e[1].indexOf(wanted) >= 0; });
        function rank(e) { var bare = e[1].replace(/（虚构）$/, ""); return bare === wanted ? 0 : (bare.indexOf(wanted) === 0 ? 1 : 2); }
        found.sort(function (a, b) { return rank(a) - rank(b) || a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1); });
        if (!found.length) return;
        var list = document.createElement("span");
        list.className = "yb-by-name";
        list.appendChild(document.createTextNode("名称相符："));
        found.slice(0, MAX_NAMES).forEach(function (e, i) {
          if (i) list.appendChild(document.createTextNode("；"));
          var a = document.createElement("a");
          a.href = root + e[2] + "/" + e[0] + ".html";
          a.textContent = e[1] + "（" + e[0] + "）";
          list.appendChild(a);
        });
        if (found.length > MAX_NAMES) list.appendChild(document.createTextNode("；另有 " + (found.length - MAX_NAMES) + " 个名称相符的记录"));
        pinned.appendChild(list);
        pinned.hidden = false;
        fit();
      });
    }
    function show(raw) {
      var query = raw.toUpperCase();
      asked = query;
      pinned.hidden = true;
      pinned.textContent = "";
      fit();
      byName(raw);
      if (!patterns || !query) return;
      patterns.forEach(function (pair) {
        if (!new RegExp(pair[0]).test(query)) return;
        var folder = pair[1];
        if (!lists[folder]) {
          lists[folder] = fetch(root + "pagefind/ids/" + folder + ".json")
            .then(function (r) { return r.ok ? r.json() : []; }).catch(function () { return []; });
        }
        lists[folder].then(function (ids) {
          if (asked !== query || ids.indexOf(query) < 0) return;
          var exact = document.createElement("span");
          var a = document.createElement("a");
          a.href = root + folder + "/" + query + ".html";
          a.textContent = "编号 " + query + " 的记录页面";
          exact.appendChild(document.createTextNode("完全匹配："));
          exact.appendChild(a);
          pinned.insertBefore(exact, pinned.firstChild);
          pinned.hidden = false;
          fit();
        });
      });
    }
    fetch(root + "pagefind/record-ids.json").then(function (r) { return r.ok ? r.json() : { patterns: [] }; })
      .catch(function () { return { patterns: [] }; })
      .then(function (data) { patterns = data.patterns || []; });
    /* input 事件也包括粘贴 */
    box.addEventListener("input", function (event) {
      var input = event.target;
      if (!input || input.tagName !== "INPUT") return;
      if (!pinned.parentNode) {  /* under the search field, above Pagefind's results */
        var drawer = box.querySelector(".pagefind-ui__drawer");
        if (drawer) drawer.parentNode.insertBefore(pinned, drawer);
        else input.parentNode.appendChild(pinned);
      }
      show(input.value.trim());
    });
  }

  function makeSearch(box, root, others) {
    pinExactRecord(box, root);
    new PagefindUI({
      mergeIndex: others.map(function (path) { return { bundlePath: root + path, baseUrl: root }; }),
      element: "#yb-search",
      bundlePath: root + "pagefind/",
      baseUrl: root,
      showImages: false,
      showSubResults: true,
      resetStyles: false,
      excerptLength: 24,
      translations: {
        placeholder: "搜索：机构名称、记录编号、违规类型……",
        clear_search: "清除",
        load_more: "显示更多结果",
        search_label: "搜索本站",
        zero_results: "没有找到与“[SEARCH_TERM]”相符的内容",
        many_results: "找到 [COUNT] 个与“[SEARCH_TERM]”相符的页面",
        one_result: "找到 1 个与“[SEARCH_TERM]”相符的页面",
        alt_search: "没有找到“[SEARCH_TERM]”，显示与“[DIFFERENT_TERM]”相符的结果",
        search_suggestion: "没有找到“[SEARCH_TERM]”，可以试试：",
        searching: "正在搜索“[SEARCH_TERM]”……"
      }
    });
  }

  function init() {
    document.querySelectorAll("table.yb-sortable").forEach(makeSortable);
    document.querySelectorAll(".yb-table-wrap[data-filter]").forEach(makeFilterable);
    startSearch();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
